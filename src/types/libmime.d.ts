// libmime ships no type declarations; these cover the calls we make.
declare module 'libmime' {
  interface Libmime {
    decodeWords(text: string): string;
  }
  const libmime: Libmime;
  export default libmime;
}
