namespace Bets.Api.Auth;

/// <summary>
/// Recognisers for the RFC 3986 rules that EIP-4361 reuses (URI, authority and their parts).
/// Hand-written from the ABNF so every rule is total and allocation-light; no System.Uri, which is more lenient.
/// </summary>
public static class Rfc3986
{
    public static bool IsAlpha(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z');
    public static bool IsDigit(char c) => c is >= '0' and <= '9';
    public static bool IsHex(char c) => IsDigit(c) || c is (>= 'a' and <= 'f') or (>= 'A' and <= 'F');
    public static bool IsUnreserved(char c) => IsAlpha(c) || IsDigit(c) || c is '-' or '.' or '_' or '~';
    public static bool IsSubDelim(char c) => c is '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=';
    public static bool IsGenDelim(char c) => c is ':' or '/' or '?' or '#' or '[' or ']' or '@';
    public static bool IsReserved(char c) => IsGenDelim(c) || IsSubDelim(c);

    public static bool IsScheme(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || !IsAlpha(s[0]))
        {
            return false;
        }

        foreach (var c in s[1..])
        {
            if (!(IsAlpha(c) || IsDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsPctEncoded(ReadOnlySpan<char> s) => s.Length == 3 && s[0] == '%' && IsHex(s[1]) && IsHex(s[2]);

    /// <summary>Checks that every char is allowed by <paramref name="allowed"/> or part of a pct-encoded triplet.</summary>
    private static bool AllPct(ReadOnlySpan<char> s, Func<char, bool> allowed)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '%')
            {
                if (i + 2 >= s.Length || !IsHex(s[i + 1]) || !IsHex(s[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (!allowed(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsPCharRaw(char c) => IsUnreserved(c) || IsSubDelim(c) || c is ':' or '@';

    public static bool IsUserInfo(ReadOnlySpan<char> s) => AllPct(s, c => IsUnreserved(c) || IsSubDelim(c) || c == ':');
    public static bool IsRegName(ReadOnlySpan<char> s) => AllPct(s, c => IsUnreserved(c) || IsSubDelim(c));
    public static bool IsSegment(ReadOnlySpan<char> s) => AllPct(s, IsPCharRaw);
    public static bool IsSegmentNz(ReadOnlySpan<char> s) => !s.IsEmpty && IsSegment(s);
    public static bool IsQuery(ReadOnlySpan<char> s) => AllPct(s, c => IsPCharRaw(c) || c is '/' or '?');
    public static bool IsFragment(ReadOnlySpan<char> s) => IsQuery(s);

    public static bool IsPort(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!IsDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>dec-octet, accepting leading zeros as the EIP-4361 reference grammar does.</summary>
    public static bool IsIPv4(ReadOnlySpan<char> s)
    {
        var parts = 0;
        while (true)
        {
            var dot = s.IndexOf('.');
            var part = dot < 0 ? s : s[..dot];
            if (part.IsEmpty || part.Length > 3)
            {
                return false;
            }

            var value = 0;
            foreach (var c in part)
            {
                if (!IsDigit(c))
                {
                    return false;
                }

                value = value * 10 + (c - '0');
            }
            if (value > 255)
            {
                return false;
            }

            parts++;
            if (dot < 0)
            {
                break;
            }

            s = s[(dot + 1)..];
        }
        return parts == 4;
    }

    private static bool IsH16(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > 4)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!IsHex(c))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsIPv6(ReadOnlySpan<char> s)
    {
        var text = s.ToString();
        var doubleColon = text.IndexOf("::", StringComparison.Ordinal);
        if (doubleColon >= 0 && text.IndexOf("::", doubleColon + 1, StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        int CountGroups(string part, bool mayEndWithIPv4)
        {
            if (part.Length == 0)
            {
                return 0;
            }

            var groups = part.Split(':');
            var count = 0;
            for (var i = 0; i < groups.Length; i++)
            {
                var g = groups[i];
                if (i == groups.Length - 1 && mayEndWithIPv4 && g.Contains('.', StringComparison.Ordinal))
                {
                    if (!IsIPv4(g))
                    {
                        return -1;
                    }

                    count += 2;
                }
                else if (IsH16(g))
                {
                    count++;
                }
                else
                {
                    return -1;
                }
            }
            return count;
        }

        if (doubleColon < 0)
        {
            return CountGroups(text, mayEndWithIPv4: true) == 8;
        }
        var head = CountGroups(text[..doubleColon], mayEndWithIPv4: false);
        var tail = CountGroups(text[(doubleColon + 2)..], mayEndWithIPv4: true);
        // "::" stands for at least one group of zeros.
        return head >= 0 && tail >= 0 && head + tail <= 7;
    }

    public static bool IsIPvFuture(ReadOnlySpan<char> s)
    {
        if (s.Length < 4 || s[0] is not ('v' or 'V'))
        {
            return false;
        }

        var dot = s.IndexOf('.');
        if (dot < 2)
        {
            return false;
        }

        foreach (var c in s[1..dot])
        {
            if (!IsHex(c))
            {
                return false;
            }
        }
        var rest = s[(dot + 1)..];
        if (rest.IsEmpty)
        {
            return false;
        }

        foreach (var c in rest)
        {
            if (!(IsUnreserved(c) || IsSubDelim(c) || c == ':'))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsHost(ReadOnlySpan<char> s)
    {
        if (s.Length >= 2 && s[0] == '[' && s[^1] == ']')
        {
            var inner = s[1..^1];
            return IsIPv6(inner) || IsIPvFuture(inner);
        }
        return IsIPv4(s) || IsRegName(s);
    }

    public static bool IsAuthority(ReadOnlySpan<char> s)
    {
        var at = s.LastIndexOf('@');
        if (at >= 0)
        {
            if (!IsUserInfo(s[..at]))
            {
                return false;
            }

            s = s[(at + 1)..];
        }
        // The port separator is the last ':' outside an IP literal.
        var close = s.LastIndexOf(']');
        var colon = s.LastIndexOf(':');
        if (colon > close)
        {
            if (!IsPort(s[(colon + 1)..]))
            {
                return false;
            }

            s = s[..colon];
        }
        return IsHost(s);
    }

    private static bool IsPathAbEmpty(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return true;
        }

        if (s[0] != '/')
        {
            return false;
        }

        foreach (var segment in s[1..].ToString().Split('/'))
        {
            if (!IsSegment(segment))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ].</summary>
    public static bool IsUri(ReadOnlySpan<char> s)
    {
        var colon = s.IndexOf(':');
        if (colon <= 0 || !IsScheme(s[..colon]))
        {
            return false;
        }

        var rest = s[(colon + 1)..];
        var hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            if (!IsFragment(rest[(hash + 1)..]))
            {
                return false;
            }

            rest = rest[..hash];
        }
        var question = rest.IndexOf('?');
        if (question >= 0)
        {
            if (!IsQuery(rest[(question + 1)..]))
            {
                return false;
            }

            rest = rest[..question];
        }
        if (rest.StartsWith("//"))
        {
            rest = rest[2..];
            var slash = rest.IndexOf('/');
            var authority = slash < 0 ? rest : rest[..slash];
            return IsAuthority(authority) && IsPathAbEmpty(slash < 0 ? [] : rest[slash..]);
        }
        if (rest.IsEmpty)
        {
            return true;
        }

        if (rest[0] == '/')
        {
            // path-absolute: "/" [ segment-nz *( "/" segment ) ]
            return rest.Length == 1 || (rest[1] != '/' && IsPathAbEmpty(rest));
        }
        // path-rootless: segment-nz *( "/" segment )
        var first = rest.IndexOf('/');
        return IsSegmentNz(first < 0 ? rest : rest[..first]) && IsPathAbEmpty(first < 0 ? [] : rest[first..]);
    }
}
