using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Bets.Api.Auth;

/// <summary>An EIP-4361 message. Timestamps keep their original text because the signature covers the exact bytes.</summary>
public sealed record SiweMessage
{
    public string? Scheme { get; init; }
    public required string Domain { get; init; }
    public required string Address { get; init; }
    public string? Statement { get; init; }
    public required string Uri { get; init; }
    public required string Version { get; init; }
    public required long ChainId { get; init; }
    public required string Nonce { get; init; }
    public required string IssuedAt { get; init; }
    public string? ExpirationTime { get; init; }
    public string? NotBefore { get; init; }
    public string? RequestId { get; init; }
    public IReadOnlyList<string>? Resources { get; init; }

    public const string Preamble = " wants you to sign in with your Ethereum account:";

    /// <summary>Serialises to the exact EIP-4361 text (the bytes the wallet signs).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Scheme is not null)
        {
            sb.Append(Scheme).Append("://");
        }

        sb.Append(Domain).Append(Preamble).Append('\n');
        sb.Append(Address).Append("\n\n");
        if (Statement is not null)
        {
            sb.Append(Statement).Append('\n');
        }

        sb.Append('\n');
        sb.Append("URI: ").Append(Uri).Append('\n');
        sb.Append("Version: ").Append(Version).Append('\n');
        sb.Append("Chain ID: ").Append(ChainId.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("Nonce: ").Append(Nonce).Append('\n');
        sb.Append("Issued At: ").Append(IssuedAt);
        if (ExpirationTime is not null)
        {
            sb.Append("\nExpiration Time: ").Append(ExpirationTime);
        }

        if (NotBefore is not null)
        {
            sb.Append("\nNot Before: ").Append(NotBefore);
        }

        if (RequestId is not null)
        {
            sb.Append("\nRequest ID: ").Append(RequestId);
        }

        if (Resources is not null)
        {
            sb.Append("\nResources:");
            foreach (var r in Resources)
            {
                sb.Append("\n- ").Append(r);
            }
        }
        return sb.ToString();
    }

    /// <summary>Checks every field against its ABNF rule; returns the first problem or null.</summary>
    public string? Validate()
    {
        if (Scheme is not null && !Rfc3986.IsScheme(Scheme))
        {
            return "invalid scheme";
        }

        if (string.IsNullOrEmpty(Domain) || !Rfc3986.IsAuthority(Domain))
        {
            return "invalid domain: not an RFC 3986 authority";
        }

        if (!EthereumAddress.IsWellFormed(Address))
        {
            return "invalid address: expected 0x followed by 40 hex digits";
        }

        if (!EthereumAddress.IsChecksummed(Address))
        {
            return "invalid EIP-55 address";
        }

        if (Statement is not null && !IsStatement(Statement))
        {
            return "invalid statement";
        }

        if (string.IsNullOrEmpty(Uri) || !Rfc3986.IsUri(Uri))
        {
            return "invalid uri: not an RFC 3986 URI";
        }

        if (Version != "1")
        {
            return "invalid version: must be 1";
        }

        if (ChainId < 0)
        {
            return "invalid chain id";
        }

        if (!IsNonce(Nonce))
        {
            return "invalid nonce: at least 8 alphanumeric characters";
        }

        if (DateTimeCheck(IssuedAt, "issued-at") is { } e1)
        {
            return e1;
        }

        if (ExpirationTime is not null && DateTimeCheck(ExpirationTime, "expiration-time") is { } e2)
        {
            return e2;
        }

        if (NotBefore is not null && DateTimeCheck(NotBefore, "not-before") is { } e3)
        {
            return e3;
        }

        if (RequestId is not null && !Rfc3986.IsSegment(RequestId))
        {
            return "invalid request id";
        }

        if (Resources is not null)
        {
            foreach (var r in Resources)
            {
                if (!Rfc3986.IsUri(r))
                {
                    return "invalid resource URI";
                }
            }
        }
        return null;
    }

    public static bool IsStatement(string s)
    {
        foreach (var c in s)
        {
            if (!(Rfc3986.IsReserved(c) || Rfc3986.IsUnreserved(c) || c == ' '))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsNonce(string? s)
    {
        if (s is null || s.Length < 8)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(Rfc3986.IsAlpha(c) || Rfc3986.IsDigit(c)))
            {
                return false;
            }
        }
        return true;
    }

    private static readonly Regex DateTimeSyntax = new(
        @"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
        RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static string? DateTimeCheck(string text, string rule)
    {
        if (!DateTimeSyntax.IsMatch(text))
        {
            return $"invalid {rule} date time syntax";
        }

        return TryParseTimestamp(text, out _) ? null : $"invalid {rule} date time semantics";
    }

    /// <summary>Parses an RFC 3339 date-time, rejecting impossible dates (2022-02-31) and offsets.</summary>
    public static bool TryParseTimestamp(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        var m = DateTimeSyntax.Match(text);
        if (!m.Success)
        {
            return false;
        }

        int I(int g) => int.Parse(m.Groups[g].ValueSpan, CultureInfo.InvariantCulture);
        int year = I(1), month = I(2), day = I(3), hour = I(4), minute = I(5), second = I(6);
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year == 0 ? 2000 : year, month))
        {
            return false;
        }

        if (hour > 23 || minute > 59 || second > 59 || year == 0)
        {
            return false;
        }

        var offset = TimeSpan.Zero;
        var zone = m.Groups[8].Value;
        if (zone is not ("Z" or "z"))
        {
            var oh = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var om = int.Parse(zone.AsSpan(4, 2), CultureInfo.InvariantCulture);
            if (oh > 23 || om > 59)
            {
                return false;
            }

            offset = new TimeSpan(oh, om, 0) * (zone[0] == '-' ? -1 : 1);
        }
        var ticks = 0L;
        if (m.Groups[7].Success)
        {
            var frac = m.Groups[7].Value[1..];
            frac = frac.Length > 7 ? frac[..7] : frac.PadRight(7, '0');
            ticks = long.Parse(frac, CultureInfo.InvariantCulture);
        }
        value = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(ticks);
        return true;
    }
}
