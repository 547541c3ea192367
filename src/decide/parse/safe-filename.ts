// Windows device names: harmless here (we never write by name) but fatal to a downstream tool that does.
const reserved = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/**
 * A display name for an attachment: the last path segment, no control characters, no leading
 * dots, at most 200 characters. It is stored for people and tools to read; files are stored by
 * hash, so this name never becomes a path here.
 */
export function safeFilename(name: string | undefined, ordinal: number, contentType: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  let clean = base
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  if (reserved.test(clean)) clean = `_${clean}`;
  if (clean.length > 200) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = clean.slice(0, 200 - ext.length) + ext;
  }
  if (clean.length === 0) clean = `attachment-${ordinal}${extensionFor(contentType)}`;
  return clean;
}

function extensionFor(contentType: string): string {
  const sub = contentType.split('/')[1] ?? '';
  return /^[a-z0-9]{1,10}$/.test(sub) ? `.${sub}` : '.bin';
}
