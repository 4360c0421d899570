using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Platform.FaultScenario;

/// <summary>
/// A wallet's key, signing as a wallet's <c>personal_sign</c> does (EIP-191 over secp256k1, low s, v = 27/28): the fault
/// suite signs in many wallets in process, where the Bets.Api tests' node signer would start node for each.
/// </summary>
public sealed class EthereumKey
{
    private static readonly Org.BouncyCastle.Asn1.X9.X9ECParameters Curve = SecNamedCurves.GetByName("secp256k1");
    private readonly BigInteger _d;

    private EthereumKey(BigInteger d)
    {
        _d = d;
        var q = Curve.G.Multiply(d).Normalize().GetEncoded(false);
        Address = Checksummed(Convert.ToHexStringLower(Keccak(q.AsSpan(1).ToArray()).AsSpan(12)));
    }

    /// <summary>The EIP-55 address.</summary>
    public string Address { get; }

    public static EthereumKey Random()
    {
        while (true)
        {
            var d = new BigInteger(1, RandomNumberGenerator.GetBytes(32));
            if (d.SignValue > 0 && d.CompareTo(Curve.N) < 0)
            {
                return new EthereumKey(d);
            }
        }
    }

    /// <summary>The 65-byte signature (r, s, v) of <paramref name="message"/> as 0x-prefixed hex.</summary>
    public string SignPersonalMessage(string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        var digest = Keccak([.. Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"\u0019Ethereum Signed Message:\n{text.Length}")), .. text]);
        var n = Curve.N;
        var k = new HMacDsaKCalculator(new Sha256Digest());
        k.Init(n, _d, digest);
        var e = new BigInteger(1, digest);
        while (true)
        {
            var nonce = k.NextK();
            var point = Curve.G.Multiply(nonce).Normalize();
            var r = point.AffineXCoord.ToBigInteger().Mod(n);
            var s = nonce.ModInverse(n).Multiply(e.Add(_d.Multiply(r))).Mod(n);
            if (r.SignValue == 0 || s.SignValue == 0)
            {
                continue;
            }

            // The recovery id is the parity of R's y; EIP-2 wants the low s, which mirrors R.
            var recovery = point.AffineYCoord.ToBigInteger().TestBit(0) ? 1 : 0;
            if (s.CompareTo(n.ShiftRight(1)) > 0)
            {
                s = n.Subtract(s);
                recovery ^= 1;
            }

            return "0x" + Convert.ToHexStringLower([.. Fixed32(r), .. Fixed32(s), (byte)(27 + recovery)]);
        }
    }

    private static byte[] Fixed32(BigInteger value)
    {
        var bytes = value.ToByteArrayUnsigned();
        return bytes.Length == 32 ? bytes : [.. new byte[32 - bytes.Length], .. bytes];
    }

    private static byte[] Keccak(byte[] data)
    {
        var keccak = new KeccakDigest(256);
        keccak.BlockUpdate(data, 0, data.Length);
        var hash = new byte[32];
        keccak.DoFinal(hash, 0);
        return hash;
    }

    private static string Checksummed(string lowerHex)
    {
        var hash = Keccak(Encoding.ASCII.GetBytes(lowerHex));
        var chars = lowerHex.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (((hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF) >= 8)
            {
                chars[i] = char.ToUpperInvariant(chars[i]);
            }
        }

        return "0x" + new string(chars);
    }
}
