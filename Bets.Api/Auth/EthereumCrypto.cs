using System.Text;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Bets.Api.Auth;

/// <summary>Keccak-256 as Ethereum uses it (the original Keccak padding, not FIPS 202 SHA3-256).</summary>
public static class Keccak256
{
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var digest = new KeccakDigest(256);
        var input = data.ToArray();
        digest.BlockUpdate(input, 0, input.Length);
        var output = new byte[32];
        digest.DoFinal(output, 0);
        return output;
    }
}

/// <summary>EIP-55 mixed-case checksum addresses.</summary>
public static class EthereumAddress
{
    public static bool IsWellFormed(string? address) =>
        address is { Length: 42 } && address.StartsWith("0x", StringComparison.Ordinal) && address.AsSpan(2).ContainsAnyExcept(HexChars) is false;

    private static readonly System.Buffers.SearchValues<char> HexChars =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The EIP-55 encoding: a hex letter is upper case when the matching nibble of keccak(lowercase hex) is >= 8.</summary>
    public static string ToChecksum(string address)
    {
        if (!IsWellFormed(address))
        {
            throw new FormatException("an address is 0x followed by 40 hex digits");
        }

        var lower = address[2..].ToLowerInvariant();
        var hash = Keccak256.Hash(Encoding.ASCII.GetBytes(lower));
        var chars = new char[42];
        chars[0] = '0';
        chars[1] = 'x';
        for (var i = 0; i < 40; i++)
        {
            var nibble = (hash[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF;
            chars[i + 2] = nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i];
        }
        return new string(chars);
    }

    public static string FromPublicKey(ReadOnlySpan<byte> uncompressedWithoutPrefix)
    {
        var hash = Keccak256.Hash(uncompressedWithoutPrefix);
        return ToChecksum("0x" + Convert.ToHexStringLower(hash.AsSpan(12)));
    }

    /// <summary>Strict: the exact EIP-55 encoding (what EIP-4361 requires).</summary>
    public static bool IsChecksummed(string? address) => IsWellFormed(address) && ToChecksum(address!) == address;

    /// <summary>EIP-55's acceptance rule: all-lower or all-upper (no checksum) or a correct checksum.</summary>
    public static bool IsValid(string? address)
    {
        if (!IsWellFormed(address))
        {
            return false;
        }

        var hex = address!.AsSpan(2);
        var hasLower = hex.ContainsAny("abcdef");
        var hasUpper = hex.ContainsAny("ABCDEF");
        return !(hasLower && hasUpper) || IsChecksummed(address);
    }
}

public enum SignatureError
{
    None,
    Malformed,
    UnsupportedLength,
    InvalidRecoveryId,
    OutOfRange,
    HighS,
    NotRecoverable,
}

/// <summary>EIP-191 personal_sign digests and secp256k1 public key recovery.</summary>
public static class EthereumSignature
{
    private static readonly X9ECParameters Curve = Org.BouncyCastle.Asn1.Sec.SecNamedCurves.GetByName("secp256k1");
    private static readonly BigInteger HalfN = Curve.N.ShiftRight(1);

    /// <summary>keccak256("\x19Ethereum Signed Message:\n" + len(message) + message).</summary>
    public static byte[] PersonalMessageHash(string message)
    {
        var body = Encoding.UTF8.GetBytes(message);
        var prefix = Encoding.ASCII.GetBytes("\u0019Ethereum Signed Message:\n" + body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Keccak256.Hash([.. prefix, .. body]);
    }

    public static bool TryParseHex(string? hex, out byte[] bytes)
    {
        bytes = [];
        if (hex is null)
        {
            return false;
        }

        var s = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        if (s.Length % 2 != 0)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(s);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Recovers the signer's address from a 65-byte r||s||v signature over a 32-byte digest.</summary>
    public static SignatureError TryRecoverAddress(ReadOnlySpan<byte> digest, string signatureHex, out string? address)
    {
        address = null;
        if (!TryParseHex(signatureHex, out var sig) || sig.Length == 0)
        {
            return SignatureError.Malformed;
        }

        if (sig.Length != 65)
        {
            return SignatureError.UnsupportedLength;
        }

        int v = sig[64];
        // 27/28 is the personal_sign convention; 0/1 appear from some signers. EIP-155 values never sign messages.
        var recId = v switch { 27 or 28 => v - 27, 0 or 1 => v, _ => -1 };
        if (recId < 0)
        {
            return SignatureError.InvalidRecoveryId;
        }

        var r = new BigInteger(1, sig, 0, 32);
        var s = new BigInteger(1, sig, 32, 32);
        if (r.SignValue == 0 || s.SignValue == 0 || r.CompareTo(Curve.N) >= 0 || s.CompareTo(Curve.N) >= 0)
        {
            return SignatureError.OutOfRange;
        }
        // EIP-2: (r, n - s) is a second valid signature for the same key; accept only the low-s form.
        if (s.CompareTo(HalfN) > 0)
        {
            return SignatureError.HighS;
        }

        var point = Recover(digest, r, s, recId);
        if (point is null)
        {
            return SignatureError.NotRecoverable;
        }

        var encoded = point.GetEncoded(false);
        address = EthereumAddress.FromPublicKey(encoded.AsSpan(1));
        return SignatureError.None;
    }

    private static ECPoint? Recover(ReadOnlySpan<byte> digest, BigInteger r, BigInteger s, int recId)
    {
        var curve = Curve.Curve;
        var prime = curve.Field.Characteristic;
        // recId < 2 always here, so x = r (x = r + n happens with negligible probability and is not produced by 27/28).
        if (r.CompareTo(prime) >= 0)
        {
            return null;
        }

        var xBytes = r.ToByteArrayUnsigned();
        var compressed = new byte[33];
        compressed[0] = (byte)(0x02 + (recId & 1));
        xBytes.CopyTo(compressed, 33 - xBytes.Length);
        ECPoint rPoint;
        try
        {
            rPoint = curve.DecodePoint(compressed);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var e = new BigInteger(1, digest.ToArray());
        var rInv = r.ModInverse(Curve.N);
        var u1 = e.Negate().Mod(Curve.N).Multiply(rInv).Mod(Curve.N);
        var u2 = s.Multiply(rInv).Mod(Curve.N);
        var q = ECAlgorithms.SumOfTwoMultiplies(Curve.G, u1, rPoint, u2).Normalize();
        return q.IsInfinity ? null : q;
    }
}
