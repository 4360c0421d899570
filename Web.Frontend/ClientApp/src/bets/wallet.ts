// Wallet sign-in (EIP-4361): an injected EIP-1193 wallet when the browser has one, otherwise a local development
// wallet whose private key is kept in this browser's localStorage (clearly labelled: it is not a safe place for a key).
import { Wallet, getAddress, hexlify, toUtf8Bytes } from 'ethers';

export interface Eip1193Provider { request(args: { method: string; params?: unknown[] }): Promise<unknown> }

export interface SignerChoice {
  kind: 'injected' | 'development';
  address: string;
  chainId: number;
  sign(message: string): Promise<string>;
}

const devKey = 'bets.devWallet.privateKey';

export function injectedProvider(): Eip1193Provider | null {
  const provider = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  return provider && typeof provider.request === 'function' ? provider : null;
}

export async function connectInjected(provider: Eip1193Provider): Promise<SignerChoice> {
  const accounts = await provider.request({ method: 'eth_requestAccounts' }) as string[];
  if (!accounts?.length) throw new Error('The wallet did not share an account.');
  const address = getAddress(accounts[0]);
  const chainHex = await provider.request({ method: 'eth_chainId' }) as string;
  return {
    kind: 'injected',
    address,
    chainId: Number.parseInt(chainHex, 16),
    sign: async message => await provider.request({ method: 'personal_sign', params: [hexlify(toUtf8Bytes(message)), address] }) as string,
  };
}

/** The development wallet: created on first use, kept in localStorage, signs with ethers (EIP-191 personal_sign). */
export function developmentWallet(chainId: number): SignerChoice {
  let key = localStorage.getItem(devKey);
  if (!key) {
    key = Wallet.createRandom().privateKey;
    localStorage.setItem(devKey, key);
  }
  const wallet = new Wallet(key);
  return { kind: 'development', address: wallet.address, chainId, sign: message => wallet.signMessage(message) };
}

export function forgetDevelopmentWallet(): void { localStorage.removeItem(devKey); }

/** An EIP-4361 message for this site (domain = this host, URI = this origin). */
export function siweMessage(address: string, chainId: number, nonce: string, issuedAt: Date, statement: string): string {
  const expires = new Date(issuedAt.getTime() + 10 * 60_000);
  return [
    `${location.host} wants you to sign in with your Ethereum account:`,
    getAddress(address),
    '',
    statement,
    '',
    `URI: ${location.origin}`,
    'Version: 1',
    `Chain ID: ${chainId}`,
    `Nonce: ${nonce}`,
    `Issued At: ${issuedAt.toISOString()}`,
    `Expiration Time: ${expires.toISOString()}`,
  ].join('\n');
}
