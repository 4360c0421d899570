// Independent signer for the tests: builds EIP-4361 messages and signs them with ethers (EIP-191 personal_sign).
// stdin: JSON array of requests; stdout: JSON array of {address, message, signature, highS}.
import { Wallet, Signature } from "ethers";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (c) => (data += c));
  process.stdin.on("end", () => resolve(data));
}));

function message(r, address) {
  const lines = [
    `${r.domain} wants you to sign in with your Ethereum account:`,
    address,
    "",
    ...(r.statement ? [r.statement, ""] : [""]),
    `URI: ${r.uri}`,
    "Version: 1",
    `Chain ID: ${r.chainId}`,
    `Nonce: ${r.nonce}`,
    `Issued At: ${r.issuedAt}`,
  ];
  if (r.expirationTime) lines.push(`Expiration Time: ${r.expirationTime}`);
  if (r.notBefore) lines.push(`Not Before: ${r.notBefore}`);
  return lines.join("\n");
}

const out = [];
for (const r of input) {
  const wallet = new Wallet(r.privateKey);
  const text = r.message ?? message(r, wallet.address);
  const signature = await wallet.signMessage(text);
  const sig = Signature.from(signature);
  // The malleable twin (r, n - s, flipped v): valid ECDSA for the same key, refused by EIP-2 rules.
  const highS = "0x" + sig.r.slice(2) + (N - BigInt(sig.s)).toString(16).padStart(64, "0") + (sig.v === 27 ? "1c" : "1b");
  out.push({ address: wallet.address, message: text, signature, highS });
}
process.stdout.write(JSON.stringify(out));
