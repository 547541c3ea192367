/**
 * Why a recipient failed, in Sisimai's vocabulary, from the MTA's own words first and the
 * status code second: many MTAs put a generic 5.0.0 or 5.7.1 on very different refusals.
 */

/** Phrases MTAs and providers use, most specific reasons first. Bounded and case-insensitive. */
const phraseRules: [reason: string, pattern: RegExp][] = [
  ['virusdetected', /\bvirus(?:es)? (?:detected|found)|infected|contains? (?:a )?virus|malware/i],
  ['norelaying', /relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)|not permitted to relay|we do not relay|unable to relay|relaying (?:mail )?(?:to .{1,80} )?is not allowed|not a relay|no relaying|relay not allowed|not an open relay|rcpthosts/i],
  ['requireptr', /reverse (?:dns|lookup)|\bptr\b|rdns|no dns entry for your ip|does not have a valid reverse|cannot find your hostname|reverse address/i],
  ['authfailure', /\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|unauthenticated email/i],
  ['badreputation', /poor reputation|bad reputation|low reputation|reputation of your ip/i],
  ['toomanyconn', /too many (?:connections|concurrent|sessions|smtp sessions)|connection (?:count|rate) limit|too many hosts/i],
  ['speeding', /rate limit(?:ed)?|sending too fast|too many messages (?:sent|per)|temporarily deferred due to user complaints/i],
  ['mesgtoobig', /message (?:size|length) exceeds|message (?:is )?too (?:large|big)|mail size limit|size limit exceeded|exceeds? (?:the )?(?:maximum )?(?:message )?size|larger than .{1,40} size limit|message file too big|too large for (?:this|the) (?:recipient|system)/i],
  ['mailboxfull', /mailbox (?:is )?full|full mailbox|over (?:the )?(?:allowed )?quota|quota (?:exceeded|exceed|full)|exceeded (?:his|her|the|their)? ?(?:storage|quota)|mailbox size limit|mailbox has exceeded|mail ?box (?:is )?over|exceeds? (?:his|her|the|their)? ?(?:mailbox|disk) quota|user(?:'s)? (?:mailbox )?is over|not enough (?:storage|space)|insufficient (?:storage|disk)|account is full|mailfolder is full|too many messages in (?:the|this) mailbox|storage (?:space )?(?:limit|full)/i],
  ['systemfull', /(?:disk|file ?system|mail system) (?:is )?full|insufficient system storage|out of (?:disk|memory)/i],
  ['hasmoved', /has moved|address (?:has )?changed|no longer (?:at|with|used|valid)|forwarding address/i],
  ['suspend', /(?:account|mailbox|address|user)(?: has been| is)? (?:temporarily )?(?:disabled|suspended|deactivated|inactive|locked|blocked by the administrator|not active|expired)|(?:disabled|suspended|deactivated|inactive) (?:account|mailbox|user)|this account is not allowed|account (?:has been )?closed|recipient suspended/i],
  ['hostunknown', /host (?:or domain name )?(?:unknown|not found)|unknown (?:host|domain)|domain (?:name )?(?:not found|does not exist|doesn'?t exist|is not valid|unknown)|no such domain|name or service not known|unrouteable mail domain|unroutable (?:mail )?domain|nxdomain|host name lookup failure|mx records? point to non-?existent hosts|name service error|no (?:valid )?mx (?:record|host)|bad destination (?:mailbox address|system address)|domain (?:is )?(?:not )?(?:hosted|configured)|invalid domain|malformed dns/i],
  ['userunknown', /user ?(?:name )?(?:is )?(?:unknown|not (?:found|exist|listed))|unknown (?:user|recipient|local.?part|address|mailbox)|no such (?:user|mailbox|recipient|address|account|person)|(?:mailbox|recipient|address|user|account|e-?mail)(?: address)? (?:does not|doesn'?t|did not) exist|does not exist|doesn'?t exist|no mailbox here|(?:mailbox|recipient|user|address) (?:is )?(?:not found|unavailable|invalid|unknown)|invalid (?:recipient|mailbox|user|address)|not listed in (?:domino|public name)|recipient (?:name )?is not recognized|unrouteable address|not our customer|bad recipient|recipient (?:address )?rejected|address rejected|no valid recipients|undeliverable address|user not found|unknown or illegal alias|not a valid (?:mailbox|user|recipient)|no account by that name|mailbox not available|addressee unknown|account (?:does not exist|unknown)|recipient no longer|invalid address|nonexistent|non-existent|not a known user|unknown to this system/i],
  ['spamdetected', /\bspam\b|junk ?mail|spam(?:my|assassin|cop)|\buribl\b|\bsurbl\b|bulk (?:mail|e-?mail)|content (?:was )?(?:rejected|refused)|identified as (?:unsolicited|spam)|unsolicited|message (?:content )?(?:scored|considered)/i],
  ['blocked', /blocked|black ?list|block ?list|\brbl\b|\bdnsbl\b|spamhaus|client host (?:.{1,80} )?(?:rejected|blocked)|listed (?:at|in|on|by)|access denied|ip (?:address )?(?:has been )?(?:rejected|refused|banned)|your ip|connection refused by|banned|not allowed to send|refused to talk|rejected by .{1,40}(?:filter|policy)?/i],
  ['expired', /retry time(?:out)? (?:not reached|exceeded)|delivery time expired|message expired|could not be delivered (?:within|for|in) \d|giving up|undeliverable for \d|too long in the queue|queue(?:d)? too long|has not been delivered for|timeout exceeded|deferred for too long|delivery (?:attempts )?(?:will continue|expired)|cannot send message (?:within|for) \d/i],
  ['networkerror', /connection (?:timed out|refused|reset|closed)|network is unreachable|no route to host|mail loop|routing loop|loops back to (?:me|myself)|too many hops|hop count exceeded|timed out|could not connect|unable to connect|lost connection|connect to .{1,80} failed|host not responding/i],
  ['securityerror', /authentication (?:required|failed)|tls (?:is )?required|must (?:use|issue a) starttls|encryption required|certificate|not authorized|unauthorized/i],
  ['policyviolation', /policy|prohibited|not allowed|not permitted|violat/i],
  ['exceedlimit', /exceeded? (?:the )?(?:message )?limit|too many recipients|recipient limit/i],
  ['syntaxerror', /syntax error|command unrecognized|unrecognized command|bad sequence of commands/i],
  ['contenterror', /header (?:error|too long)|invalid (?:character|header)|message header|malformed|8-?bit|mime (?:error|format)/i],
  ['notaccept', /does not accept (?:e-?)?mail|not accepting (?:e-?)?mail|null mx|no mail (?:is )?accepted/i],
  ['mailererror', /x-unix|pipe to \||command (?:died|failed|output)|procmail|mailer error|exit code|unknown mailer/i],
  ['systemerror', /system error|internal (?:server )?error|local (?:configuration )?error|server (?:error|configuration)|temporary (?:local )?(?:problem|failure)|i\/o error|mail system (?:error|problem)|service (?:is )?(?:not available|unavailable)/i],
  ['filtered', /filter(?:ed)?|rejected by (?:the )?recipient|refused by the recipient|recipient does not accept|not authorized to receive/i],
  ['rejected', /sender (?:address )?(?:rejected|refused|denied|blocked|verify failed)|domain of sender|mail from (?:rejected|refused)|envelope sender|sender (?:is )?(?:not allowed|blacklisted)|(?:rejected|refused)/i],
];

/** RFC 3463 subject/detail codes, as Sisimai maps them when the words say nothing. */
const statusReasons: Record<string, string> = {
  '1.1': 'userunknown',
  '1.2': 'hostunknown',
  '1.3': 'userunknown',
  '1.4': 'userunknown',
  '1.5': 'delivered',
  '1.6': 'hasmoved',
  '1.7': 'rejected',
  '1.8': 'rejected',
  '1.9': 'rejected',
  '1.10': 'notaccept',
  '2.0': 'mailboxfull',
  '2.1': 'suspend',
  '2.2': 'mailboxfull',
  '2.3': 'exceedlimit',
  '2.4': 'systemerror',
  '3.0': 'systemerror',
  '3.1': 'systemfull',
  '3.2': 'notaccept',
  '3.3': 'systemerror',
  '3.4': 'mesgtoobig',
  '3.5': 'systemerror',
  '4.0': 'networkerror',
  '4.1': 'expired',
  '4.2': 'networkerror',
  '4.3': 'systemerror',
  '4.4': 'hostunknown',
  '4.5': 'toomanyconn',
  '4.6': 'networkerror',
  '4.7': 'expired',
  '5.0': 'syntaxerror',
  '5.1': 'syntaxerror',
  '5.2': 'syntaxerror',
  '5.3': 'exceedlimit',
  '5.4': 'syntaxerror',
  '5.5': 'syntaxerror',
  '6.0': 'contenterror',
  '6.1': 'contenterror',
  '6.2': 'contenterror',
  '6.3': 'contenterror',
  '6.4': 'contenterror',
  '6.5': 'contenterror',
  '7.0': 'securityerror',
  '7.1': 'rejected',
  '7.2': 'systemerror',
  '7.3': 'systemerror',
  '7.4': 'securityerror',
  '7.5': 'securityerror',
  '7.6': 'securityerror',
  '7.7': 'securityerror',
  '7.8': 'securityerror',
  '7.9': 'securityerror',
  '7.13': 'suspend',
  '7.17': 'hasmoved',
  '7.18': 'suspend',
  '7.20': 'authfailure',
  '7.21': 'authfailure',
  '7.22': 'authfailure',
  '7.23': 'authfailure',
  '7.24': 'authfailure',
  '7.25': 'requireptr',
  '7.26': 'authfailure',
  '7.27': 'notaccept',
};

/** Codes too generic to override what the words say; specific ones win over the words. */
const specificStatus = new Set(['1.1', '1.2', '1.6', '1.10', '2.2', '3.4', '7.25', '7.26', '7.27', '4.7', '7.13', '7.18']);

export function reasonFor(status: string, diagnostic: string, action = ''): string {
  if (action === 'delivered' || action === 'relayed' || action === 'expanded' || status.startsWith('2.'))
    return 'delivered';
  // Sisimai calls every delay "expired": the message is still waiting, whatever the cause
  if (action === 'delayed') return 'expired';
  const text = diagnostic.slice(0, 2000);
  return byStage(byWordsAndCode(status, text), text);
}

function byWordsAndCode(status: string, text: string): string {
  const sub = status.slice(2);
  if (specificStatus.has(sub)) return statusReasons[sub] ?? 'undefined';
  for (const [reason, pattern] of phraseRules) if (pattern.test(text)) return reason;
  return statusReasons[sub] ?? 'undefined';
}

/**
 * A "no such user" answer to MAIL FROM is about the sender, and one after DATA is a content
 * filter speaking: the recipient address itself was accepted.
 */
function byStage(reason: string, text: string): string {
  if (reason !== 'userunknown') return reason;
  if (/(?:in reply to|after) (?:the )?MAIL FROM\b/i.test(text)) return 'rejected';
  if (/(?:in reply to (?:end of )?|after (?:end of )?|final )DATA\b/i.test(text)) return 'filtered';
  return reason;
}

/** Sisimai's hard bounce: the address itself is wrong, so mailing it again cannot succeed. */
export function isHard(reason: string, status: string, replyCode: string): boolean {
  if (reason === 'userunknown' || reason === 'hostunknown' || reason === 'hasmoved') return true;
  if (reason === 'notaccept') return status.startsWith('5') || replyCode.startsWith('5');
  return false;
}
