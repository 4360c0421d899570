using System.Globalization;

namespace Bets.Api.Auth;

/// <summary>Thrown for text that is not an EIP-4361 message; the message says which rule failed.</summary>
public sealed class SiweParseException(string message) : FormatException(message);

/// <summary>
/// Parses the EIP-4361 ABNF line by line: the grammar is a fixed sequence of LF-separated lines with
/// optional fields in a fixed order, so a cursor over the lines is an exact recogniser.
/// </summary>
public static class SiweParser
{
    public static bool TryParse(string text, out SiweMessage? message, out string? error)
    {
        try
        {
            message = Parse(text);
            error = null;
            return true;
        }
        catch (SiweParseException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
    }

    public static SiweMessage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\r', StringComparison.Ordinal))
        {
            throw new SiweParseException("line breaks must be LF");
        }

        var lines = text.Split('\n');
        var i = 0;
        string Next(string what) => i < lines.Length ? lines[i++] : throw new SiweParseException($"missing {what}");
        string Field(string prefix, string what)
        {
            var line = Next(what);
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new SiweParseException($"expected '{prefix.Trim()}' line for {what}");
            }

            return line[prefix.Length..];
        }
        bool Peek(string prefix) => i < lines.Length && lines[i].StartsWith(prefix, StringComparison.Ordinal);

        var header = Next("header");
        if (!header.EndsWith(SiweMessage.Preamble, StringComparison.Ordinal))
        {
            throw new SiweParseException("missing preamble");
        }

        var authority = header[..^SiweMessage.Preamble.Length];
        string? scheme = null;
        var schemeEnd = authority.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            scheme = authority[..schemeEnd];
            authority = authority[(schemeEnd + 3)..];
            if (!Rfc3986.IsScheme(scheme))
            {
                throw new SiweParseException("invalid scheme");
            }
        }
        if (authority.Length == 0)
        {
            throw new SiweParseException("missing domain");
        }

        var address = Next("address");
        if (address.Length == 0)
        {
            throw new SiweParseException("missing address");
        }

        if (Next("blank line") != "")
        {
            throw new SiweParseException("expected a blank line after the address");
        }

        string? statement = null;
        if (i < lines.Length && lines[i] == "" && i + 1 < lines.Length && lines[i + 1].StartsWith("URI: ", StringComparison.Ordinal))
        {
            i++;
        }
        else
        {
            statement = Next("statement");
            if (Next("blank line") != "")
            {
                throw new SiweParseException("statement must be a single line followed by a blank line");
            }
        }

        var uri = Field("URI: ", "uri");
        var version = Field("Version: ", "version");
        var chainText = Field("Chain ID: ", "chain id");
        if (chainText.Length == 0 || !chainText.All(Rfc3986.IsDigit)
            || !long.TryParse(chainText, NumberStyles.None, CultureInfo.InvariantCulture, out var chainId))
        {
            throw new SiweParseException("invalid chain id");
        }
        var nonce = Field("Nonce: ", "nonce");
        var issuedAt = Field("Issued At: ", "issued-at");
        string? expiration = Peek("Expiration Time: ") ? Field("Expiration Time: ", "expiration-time") : null;
        string? notBefore = Peek("Not Before: ") ? Field("Not Before: ", "not-before") : null;
        string? requestId = Peek("Request ID: ") ? Field("Request ID: ", "request-id") : null;
        List<string>? resources = null;
        if (i < lines.Length && lines[i] == "Resources:")
        {
            i++;
            resources = [];
            while (i < lines.Length && lines[i].StartsWith("- ", StringComparison.Ordinal))
            {
                resources.Add(lines[i++][2..]);
            }
        }
        if (i < lines.Length)
        {
            throw new SiweParseException($"unexpected or out-of-order line: '{lines[i]}'");
        }

        var message = new SiweMessage
        {
            Scheme = scheme, Domain = authority, Address = address, Statement = statement, Uri = uri, Version = version,
            ChainId = chainId, Nonce = nonce, IssuedAt = issuedAt, ExpirationTime = expiration, NotBefore = notBefore,
            RequestId = requestId, Resources = resources,
        };
        if (message.Validate() is { } error)
        {
            throw new SiweParseException(error);
        }

        return message;
    }
}
