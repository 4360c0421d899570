using System.Text.Json.Nodes;
using Bets.Api.Auth;

namespace Bets.Api.Tests;

public class SiweVerificationTests
{
    // Between every vector's issued-at and its far-future expiration.
    private static readonly DateTimeOffset DefaultNow = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Positive => Vectors.Keys("spruceid-siwe_verification_positive.json");
    public static TheoryData<string> Negative => Vectors.Keys("spruceid-siwe_verification_negative.json");
    public static TheoryData<string> Eip1271 => Vectors.Keys("spruceid-siwe_eip1271.json");

    private static SiweResult VerifyVector(JsonNode v)
    {
        var now = v["time"] is { } t && SiweMessage.TryParseTimestamp((string)t!, out var at) ? at : DefaultNow;
        var verifier = new SiweVerifier(new FixedTime(now));
        var message = SiweParserTests.FromObject(v);
        var expect = new SiweExpectations(Domain: (string?)v["domainBinding"], Nonce: (string?)v["matchNonce"]);
        return verifier.Verify(message.ToString(), (string)v["signature"]!, expect);
    }

    [Theory, MemberData(nameof(Positive))]
    public void VerifiesEveryPositiveVector(string name)
    {
        var result = VerifyVector(Vectors.Load("spruceid-siwe_verification_positive.json")[name]!);
        Assert.True(result.Success, result.Detail);
    }

    [Theory, MemberData(nameof(Negative))]
    public void RefusesEveryNegativeVectorForTheRightReason(string name)
    {
        var result = VerifyVector(Vectors.Load("spruceid-siwe_verification_negative.json")[name]!);
        var expected = name switch
        {
            "expired message" or "custom time" => SiweFailure.Expired,
            "domain binding" => SiweFailure.DomainMismatch,
            "custom nonce" => SiweFailure.NonceMismatch,
            "malformed signature" => SiweFailure.MalformedSignature,
            "wrong signature" => SiweFailure.SignatureMismatch,
            "not yet valid" => SiweFailure.NotYetValid,
            _ => SiweFailure.MalformedMessage, // impossible calendar dates
        };
        Assert.Equal(expected, result.Failure);
    }

    public static TheoryData<string, string> Derived()
    {
        var data = new TheoryData<string, string>();
        var all = Vectors.Load("derived_siwe_verification_with_eip191_hashes.json");
        foreach (var (group, vectors) in all)
        {
            foreach (var (name, _) in vectors!.AsObject())
            {
                data.Add(group, name);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(Derived))]
    public void ComputesTheEip191DigestAndRecoversTheSignerOfEveryVector(string group, string name)
    {
        var v = Vectors.Load("derived_siwe_verification_with_eip191_hashes.json")[group]![name]!;
        var digest = EthereumSignature.PersonalMessageHash((string)v["message"]!);
        Assert.Equal((string)v["eip191_hash"]!, "0x" + Convert.ToHexStringLower(digest));

        var error = EthereumSignature.TryRecoverAddress(digest, (string)v["signature"]!, out var address);
        if (v["recover_error"] is not null)
        {
            Assert.Equal(SignatureError.Malformed, error);
        }
        else
        {
            Assert.Equal((string)v["recovered_address"]!, address);
        }
    }

    [Theory]
    [InlineData("https://login.xyz", true)]
    [InlineData("https://LOGIN.xyz:443/", true)]
    [InlineData("http://login.xyz", false)]
    [InlineData("https://login.xyz:8443", false)]
    [InlineData("https://login.xy", false)]
    [InlineData("https://evil.example", false)]
    public void TheMessageUriMustHaveTheExpectedOriginNotJustItsPrefix(string origin, bool accepted)
    {
        // The vector's URI is https://login.xyz; a prefix test would also have accepted "https://login.xy".
        var v = Vectors.Load("spruceid-siwe_verification_positive.json")["example message"]!;
        var result = new SiweVerifier(new FixedTime(DefaultNow)).Verify(SiweParserTests.FromObject(v).ToString(), (string)v["signature"]!,
            new SiweExpectations(Origin: origin));
        Assert.Equal(accepted ? SiweFailure.None : SiweFailure.UriMismatch, result.Failure);
    }

    [Theory]
    [InlineData(-120, SiweFailure.IssuedInFuture)]
    [InlineData(-30, SiweFailure.None)]
    [InlineData(3600, SiweFailure.None)]
    public void AMessageIssuedMoreThanTheLeadAheadOfTheClockIsRefused(int secondsAfterIssue, SiweFailure expected)
    {
        var v = Vectors.Load("spruceid-siwe_verification_positive.json")["example message"]!;
        Assert.True(SiweMessage.TryParseTimestamp((string)v["issuedAt"]!, out var issued));
        var result = new SiweVerifier(new FixedTime(issued.AddSeconds(secondsAfterIssue))).Verify(SiweParserTests.FromObject(v).ToString(),
            (string)v["signature"]!, new SiweExpectations(IssuedAtLead: TimeSpan.FromSeconds(60)));
        Assert.Equal(expected, result.Failure);
    }

    [Fact]
    public void RebuildsTheExactSignedTextFromVerificationFields()
    {
        var derived = Vectors.Load("derived_siwe_verification_with_eip191_hashes.json")["verification_positive"]!;
        foreach (var (name, v) in Vectors.Load("spruceid-siwe_verification_positive.json"))
        {
            Assert.Equal((string)derived[name]!["message"]!, SiweParserTests.FromObject(v!).ToString());
        }
    }

    [Theory, MemberData(nameof(Eip1271))]
    public void ContractWalletSignaturesGetAClearUnsupportedAnswer(string name)
    {
        var v = Vectors.Load("spruceid-siwe_eip1271.json")[name]!;
        var result = new SiweVerifier(new FixedTime(DefaultNow)).Verify((string)v["message"]!, (string)v["signature"]!, new SiweExpectations());
        Assert.False(result.Success);
        Assert.Contains("EIP-1271", result.Detail, StringComparison.Ordinal);
        Assert.Contains("not supported", result.Detail.Replace("unsupported", "not supported", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void PersonalSignVectorsHashAndRecover()
    {
        foreach (var v in Vectors.Load("derived_eip191_eip55_vectors.json")["personal_sign"]!.AsArray())
        {
            var digest = EthereumSignature.PersonalMessageHash((string)v!["message"]!);
            Assert.Equal((string)v["eip191_hash"]!, "0x" + Convert.ToHexStringLower(digest));
            if (v["signature"] is null)
            {
                continue;
            }

            Assert.Equal(SignatureError.None, EthereumSignature.TryRecoverAddress(digest, (string)v["signature"]!, out var address));
            Assert.Equal((string)v["expected_address"]!, address);
        }
    }

    [Fact]
    public void RejectsTheHighSTwinOfAValidSignature()
    {
        var v = Vectors.Load("derived_eip191_eip55_vectors.json")["malleability_high_s"]!;
        var digest = EthereumSignature.PersonalMessageHash((string)v["message"]!);
        Assert.Equal(SignatureError.HighS, EthereumSignature.TryRecoverAddress(digest, (string)v["signature"]!, out var address));
        Assert.Null(address);
    }

    [Fact]
    public void Eip55AcceptsChecksummedAndSingleCaseAddressesAndRejectsFlippedCase()
    {
        var all = Vectors.Load("derived_eip191_eip55_vectors.json");
        foreach (var v in all["eip55_valid_or_unchecksummed"]!.AsArray())
        {
            var address = (string)v!["address"]!;
            Assert.True(EthereumAddress.IsValid(address), address);
            var hex = address[2..];
            if (hex.Any(char.IsLower) && hex.Any(char.IsUpper))
            {
                Assert.Equal(address, EthereumAddress.ToChecksum(address));
            }
        }
        foreach (var v in all["eip55_invalid_case_flipped"]!.AsArray())
        {
            var address = (string)v!["address"]!;
            Assert.False(EthereumAddress.IsValid(address), address);
            Assert.False(EthereumAddress.IsChecksummed(address), address);
        }
    }

    [Fact]
    public void Keccak256IsNotSha3()
    {
        // keccak256("") differs from SHA3-256("") (a7ffc6f8...), which uses FIPS 202 padding.
        Assert.Equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Convert.ToHexStringLower(Keccak256.Hash([])));
    }
}
