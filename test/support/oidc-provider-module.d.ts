// oidc-provider ships no types; tests use it as a black box.
declare module 'oidc-provider'
