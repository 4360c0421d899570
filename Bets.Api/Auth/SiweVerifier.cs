namespace Bets.Api.Auth;

/// <summary>Why a sign-in was refused; each maps to a problem-details title and status.</summary>
public enum SiweFailure
{
    None,
    MalformedMessage,
    MalformedSignature,
    HighSSignature,
    SignatureMismatch,
    ContractWalletUnsupported,
    DomainMismatch,
    UriMismatch,
    ChainMismatch,
    NonceMismatch,
    Expired,
    NotYetValid,
    InvalidTimestamp,
    IssuedInFuture,
}

public sealed record SiweExpectations(
    string? Domain = null,
    string? Origin = null,
    long? ChainId = null,
    string? Nonce = null,
    TimeSpan? ClockSkew = null,
    TimeSpan? IssuedAtLead = null);

public sealed record SiweResult(SiweFailure Failure, string Detail, SiweMessage? Message = null)
{
    public bool Success => Failure == SiweFailure.None;
}

/// <summary>Verifies an EIP-4361 message and its EIP-191 signature against expectations and the injected clock.</summary>
public sealed class SiweVerifier(TimeProvider time)
{
    public SiweResult Verify(string messageText, string signature, SiweExpectations expect)
    {
        if (!SiweParser.TryParse(messageText, out var message, out var parseError))
        {
            return new(SiweFailure.MalformedMessage, $"The message is not a valid EIP-4361 message: {parseError}.");
        }
        return Verify(message!, messageText, signature, expect);
    }

    public SiweResult Verify(SiweMessage message, string messageText, string signature, SiweExpectations expect)
    {
        if (expect.Domain is not null && !string.Equals(message.Domain, expect.Domain, StringComparison.OrdinalIgnoreCase))
        {
            return new(SiweFailure.DomainMismatch, $"The message is for domain '{message.Domain}', not '{expect.Domain}'.", message);
        }
        if (expect.Origin is not null && !IsSameOrigin(message.Uri, expect.Origin))
        {
            return new(SiweFailure.UriMismatch,
                $"This sign-in message was made for {message.Uri}, not for this site ({expect.Origin}). Sign in from {expect.Origin}.", message);
        }
        if (expect.ChainId is { } chain && message.ChainId != chain)
        {
            return new(SiweFailure.ChainMismatch, $"The message is for chain {message.ChainId}, this service accepts chain {chain}.", message);
        }
        if (expect.Nonce is not null && !string.Equals(message.Nonce, expect.Nonce, StringComparison.Ordinal))
        {
            return new(SiweFailure.NonceMismatch, "The nonce does not match the one issued.", message);
        }

        var timeFailure = CheckTimes(message, expect.ClockSkew ?? TimeSpan.Zero, expect.IssuedAtLead);
        if (timeFailure is not null)
        {
            return timeFailure with { Message = message };
        }

        var digest = EthereumSignature.PersonalMessageHash(messageText);
        var error = EthereumSignature.TryRecoverAddress(digest, signature, out var recovered);
        switch (error)
        {
            case SignatureError.None:
                break;
            case SignatureError.UnsupportedLength:
                return new(SiweFailure.ContractWalletUnsupported,
                    "The signature is not a 65-byte ECDSA signature. Contract wallets (EIP-1271) and other signature schemes are unsupported: sign in with an externally owned account.", message);
            case SignatureError.HighS:
                return new(SiweFailure.HighSSignature, "The signature has a high s value (EIP-2); sign again with a canonical low-s signature.", message);
            default:
                return new(SiweFailure.MalformedSignature, $"The signature is not a 65-byte secp256k1 signature ({error}).", message);
        }
        if (!string.Equals(recovered, message.Address, StringComparison.Ordinal))
        {
            // A smart-contract wallet signs through EIP-1271 (isValidSignature on chain); this service has no chain
            // access, so such a wallet gets a clear "unsupported" answer rather than a generic mismatch.
            return new(SiweFailure.SignatureMismatch,
                $"The signature was made by {recovered}, not by {message.Address}. Contract wallets (EIP-1271) are not supported.", message);
        }
        return new(SiweFailure.None, "ok", message);
    }

    /// <summary>Scheme, host and port equal (RFC 6454): a prefix test would let https://site.example.evil.test through.</summary>
    private static bool IsSameOrigin(string uri, string origin) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var u) && Uri.TryCreate(origin, UriKind.Absolute, out var o)
        && string.Equals(u.Scheme, o.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(u.IdnHost, o.IdnHost, StringComparison.OrdinalIgnoreCase)
        && u.Port == o.Port;

    private SiweResult? CheckTimes(SiweMessage message, TimeSpan skew, TimeSpan? issuedAtLead)
    {
        var now = time.GetUtcNow();
        if (!SiweMessage.TryParseTimestamp(message.IssuedAt, out var issued))
        {
            return new(SiweFailure.InvalidTimestamp, "Issued At is not a valid date-time.");
        }
        // A message dated ahead of our clock was made for later, or by a device whose clock is wrong; either way it is
        // not this sign-in. EIP-4361 leaves this to the relying party (the reference vectors verify messages at times
        // before their Issued At), so it applies only when asked for.
        if (issuedAtLead is { } lead && issued > now + lead)
        {
            return new(SiweFailure.IssuedInFuture,
                $"The message says it was issued at {message.IssuedAt}, which is in the future; check your device's clock and sign in again.");
        }
        if (message.ExpirationTime is not null)
        {
            if (!SiweMessage.TryParseTimestamp(message.ExpirationTime, out var exp))
            {
                return new(SiweFailure.InvalidTimestamp, "Expiration Time is not a valid date-time.");
            }

            if (now >= exp + skew)
            {
                return new(SiweFailure.Expired, $"The message expired at {message.ExpirationTime}.");
            }
        }
        if (message.NotBefore is not null)
        {
            if (!SiweMessage.TryParseTimestamp(message.NotBefore, out var nbf))
            {
                return new(SiweFailure.InvalidTimestamp, "Not Before is not a valid date-time.");
            }

            if (now + skew < nbf)
            {
                return new(SiweFailure.NotYetValid, $"The message is not valid before {message.NotBefore}.");
            }
        }
        return null;
    }
}
