using System.Text.Json.Nodes;
using Bets.Api.Auth;

namespace Bets.Api.Tests;

public class SiweParserTests
{
    public static TheoryData<string> Positive => Vectors.Keys("spruceid-siwe_parsing_positive.json");
    public static TheoryData<string> Negative => Vectors.Keys("spruceid-siwe_parsing_negative.json");
    public static TheoryData<string> NegativeObjects => Vectors.Keys("spruceid-siwe_parsing_negative_objects.json");
    public static TheoryData<string> ValidUris => Vectors.Keys("pr-extra/valid_uris.json");
    public static TheoryData<string> InvalidUris => Vectors.Keys("pr-extra/invalid_uris.json");
    public static TheoryData<string> ValidResources => Vectors.Keys("pr-extra/valid_resources.json");
    public static TheoryData<string> InvalidResources => Vectors.Keys("pr-extra/invalid_resources.json");
    public static TheoryData<string> ValidSpecification => Vectors.Keys("pr-extra/valid_specification.json");
    public static TheoryData<string> MessageObjects => Vectors.Keys("pr-extra/message_objects.json");
    public static TheoryData<string> ValidChars => Vectors.Keys("pr-extra/valid_chars.json");
    public static TheoryData<string> InvalidChars => Vectors.Keys("pr-extra/invalid_chars.json");

    [Theory, MemberData(nameof(Positive))]
    public void ParsesEveryPositiveVectorIntoItsFields(string name)
    {
        var vector = Vectors.Load("spruceid-siwe_parsing_positive.json")[name]!;
        var text = (string)vector["message"]!;
        var fields = vector["fields"]!.AsObject();

        var message = SiweParser.Parse(text);

        Assert.Equal((string?)fields["scheme"], message.Scheme);
        Assert.Equal((string)fields["domain"]!, message.Domain);
        Assert.Equal((string)fields["address"]!, message.Address);
        Assert.Equal((string?)fields["statement"], message.Statement);
        Assert.Equal((string)fields["uri"]!, message.Uri);
        Assert.Equal((string)fields["version"]!, message.Version);
        Assert.Equal((long)fields["chainId"]!, message.ChainId);
        Assert.Equal((string)fields["nonce"]!, message.Nonce);
        Assert.Equal((string)fields["issuedAt"]!, message.IssuedAt);
        Assert.Equal((string?)fields["expirationTime"], message.ExpirationTime);
        Assert.Equal((string?)fields["notBefore"], message.NotBefore);
        Assert.Equal((string?)fields["requestId"], message.RequestId);
        Assert.Equal(fields["resources"]?.AsArray().Select(r => (string)r!).ToArray(), message.Resources?.ToArray());
        Assert.Equal(text, message.ToString());
    }

    [Theory, MemberData(nameof(Negative))]
    public void RejectsEveryNegativeVector(string name)
    {
        var text = (string)Vectors.Load("spruceid-siwe_parsing_negative.json")[name]!;
        Assert.False(SiweParser.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    internal static SiweMessage FromObject(JsonNode o) => new()
    {
        Scheme = (string?)o["scheme"],
        Domain = (string?)o["domain"] ?? "",
        Address = (string?)o["address"] ?? "",
        Statement = (string?)o["statement"],
        Uri = (string?)o["uri"] ?? "",
        Version = (string?)o["version"] ?? "",
        ChainId = o["chainId"] is JsonValue v && v.TryGetValue<long>(out var id) ? id : -1,
        Nonce = (string?)o["nonce"] ?? "",
        IssuedAt = (string?)o["issuedAt"] ?? "",
        ExpirationTime = (string?)o["expirationTime"],
        NotBefore = (string?)o["notBefore"],
        RequestId = (string?)o["requestId"],
        Resources = o["resources"]?.AsArray().Select(r => (string)r!).ToArray(),
    };

    [Theory, MemberData(nameof(NegativeObjects))]
    public void RejectsEveryNegativeMessageObject(string name)
    {
        var message = FromObject(Vectors.Load("spruceid-siwe_parsing_negative_objects.json")[name]!);
        Assert.NotNull(message.Validate());
    }

    [Theory, MemberData(nameof(ValidUris))]
    public void AcceptsEveryValidUriOfTheAbnfVectors(string name)
    {
        var text = (string)Vectors.Load("pr-extra/valid_uris.json")[name]!["msg"]!;
        Assert.True(SiweParser.TryParse(text, out _, out var error), error);
    }

    [Theory, MemberData(nameof(InvalidUris))]
    public void RejectsEveryInvalidUriOfTheAbnfVectors(string name)
    {
        var text = (string)Vectors.Load("pr-extra/invalid_uris.json")[name]!;
        Assert.False(SiweParser.TryParse(text, out _, out _));
    }

    [Theory, MemberData(nameof(ValidResources))]
    public void ParsesResourceLists(string name)
    {
        var vector = Vectors.Load("pr-extra/valid_resources.json")[name]!;
        var message = SiweParser.Parse((string)vector["msg"]!);
        Assert.Equal(vector["resources"]!.AsArray().Select(r => (string)r!).ToArray(), message.Resources!.ToArray());
    }

    [Theory, MemberData(nameof(InvalidResources))]
    public void RejectsInvalidResources(string name)
    {
        var text = (string)Vectors.Load("pr-extra/invalid_resources.json")[name]!;
        Assert.False(SiweParser.TryParse(text, out _, out _));
    }

    [Theory, MemberData(nameof(ValidSpecification))]
    public void DistinguishesMissingFromEmptyOptionalFields(string name)
    {
        var vector = Vectors.Load("pr-extra/valid_specification.json")[name]!;
        var text = (string)vector["msg"]!;
        var message = SiweParser.Parse(text);
        var items = vector["items"]!;
        Assert.Equal((string?)items["statement"], message.Statement);
        Assert.Equal((string?)items["requestId"], message.RequestId);
        Assert.Equal(items["resources"]?.AsArray().Select(r => (string)r!).ToArray(), message.Resources?.ToArray());
        Assert.Equal(text, message.ToString());
    }

    [Theory, MemberData(nameof(MessageObjects))]
    public void ValidatesMessageObjects(string name)
    {
        var vector = Vectors.Load("pr-extra/message_objects.json")[name]!;
        var error = FromObject(vector["msg"]!).Validate();
        var expected = (string)vector["error"]!;
        if (expected == "none")
        {
            Assert.Null(error);
        }
        else
        {
            Assert.Equal(expected, error);
        }
    }

    private static bool MatchRule(string rule, string input) => rule switch
    {
        "scheme" => Rfc3986.IsScheme(input),
        "statement" => SiweMessage.IsStatement(input),
        "pct-encoded" => Rfc3986.IsPctEncoded(input),
        "userinfo" => Rfc3986.IsUserInfo(input),
        "IPvFuture" => Rfc3986.IsIPvFuture(input),
        "reg-name" => Rfc3986.IsRegName(input),
        "segment-nz" => Rfc3986.IsSegmentNz(input),
        "fragment" => Rfc3986.IsFragment(input),
        _ => throw new ArgumentException($"no recogniser for rule {rule}"),
    };

    [Theory, MemberData(nameof(ValidChars))]
    public void AcceptsEveryCharacterTheRuleAllows(string name)
    {
        var v = Vectors.Load("pr-extra/valid_chars.json")[name]!;
        Assert.True(MatchRule((string)v["rule"]!, (string)v["input"]!));
    }

    [Theory, MemberData(nameof(InvalidChars))]
    public void RejectsCharactersTheRuleForbids(string name)
    {
        var v = Vectors.Load("pr-extra/invalid_chars.json")[name]!;
        Assert.False(MatchRule((string)v["rule"]!, (string)v["input"]!));
    }

    [Fact]
    public void RejectsCarriageReturnLineBreaks()
    {
        var text = (string)Vectors.Load("spruceid-siwe_parsing_positive.json")["no optional field"]!["message"]!;
        Assert.False(SiweParser.TryParse(text.Replace("\n", "\r\n", StringComparison.Ordinal), out _, out _));
    }
}
