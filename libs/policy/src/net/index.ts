export {
  addressRefusal,
  classifyAddress,
  deniedAddress,
  deniedAddressRefusal,
  embeddedIpv4,
  type AddressClass,
  type AddressClassification,
  type AddressDenial,
  type NetDenials,
  type NetPolicy,
} from './address-class.js';
export { cidrContains, parseCidr, type CidrRange } from './cidr.js';
export {
  headerFields,
  headersForRedirect,
  sanitiseRequestHeaders,
  type HeaderFields,
  type SanitisedHeaders,
} from './headers.js';
export {
  hostMatchesPattern,
  normaliseHost,
  privateNameRefusal,
  toAsciiHost,
  type NetHost,
} from './host.js';
export { deniedHostRefusal, deniedName, type NameDenial } from './host-denial.js';
export {
  decideHttpRequest,
  decideRedirect,
  DEFAULT_HTTP_SCHEMES,
  MAX_REDIRECTS,
  targetHostRefusal,
  type HttpDecision,
  type HttpGrant,
  type NetRefusal,
  type RedirectDecision,
} from './http-rules.js';
export {
  formatIpAddress,
  parseIpAddress,
  parseIpv4,
  parseIpv6,
  type IpAddress,
} from './ip-address.js';
export { pathAmbiguity, pathMatchesPrefix } from './path.js';
export { REENCODED_PATH, reencodedPathRefusal } from './reencoded-path.js';
export { checkResolvedAddresses, type ResolvedDecision } from './resolved.js';
export {
  defaultPort,
  describeTarget,
  hostHeader,
  parseNetUrl,
  sameOrigin,
  targetBytes,
  type NetScheme,
  type NetTarget,
} from './target.js';
export {
  decideWebSocket,
  parseWebSocketHostEntry,
  type WebSocketDecision,
  type WebSocketGrant,
  type WebSocketHostEntry,
} from './websocket-rules.js';
