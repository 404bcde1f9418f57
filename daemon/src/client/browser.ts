// @deprecated: import '@packer/client/browser' instead; this shim goes once nothing imports it.
export * from '@packer/client/browser';
