using System.Text;
using Microsoft.AspNetCore.SignalR;

namespace Platform.SignalR.Redis.Tests;

public sealed class EnvelopeTests
{
    [Fact]
    public void AnInvocationRoundTripsWithExclusionsAndEveryProtocol()
    {
        var origin = Guid.NewGuid();
        var json = Encoding.UTF8.GetBytes("{\"type\":1}\u001e");
        var bytes = Envelope.Invocation(origin, ["a", "ünïcode"], [new SerializedMessage("json", json), new SerializedMessage("other", new byte[300])]);

        var reader = Envelope.Open(bytes, out var kind, out var readOrigin);
        Assert.Equal(EnvelopeKind.Invocation, kind);
        Assert.Equal(origin, readOrigin);
        Assert.Equal(["a", "ünïcode"], reader.ReadStrings());
        var messages = reader.ReadMessages(["json"]);
        Assert.Equal("json", messages[0].ProtocolName);
        Assert.Equal(json, messages[0].Serialized.ToArray());
        Assert.Equal("other", messages[1].ProtocolName);
        Assert.Equal(300, messages[1].Serialized.Length);
    }

    [Fact]
    public void TheEnvelopeAddsOnlyAFewBytesToThePayload()
    {
        var payload = new byte[100];
        var bytes = Envelope.Invocation(Guid.NewGuid(), null, [new SerializedMessage("json", payload)]);

        // version + kind + origin (18), no exclusions (1), one message (1), "json" (5), payload length (1).
        Assert.Equal(100 + 18 + 1 + 1 + 5 + 1, bytes.Length);
    }

    [Fact]
    public void GroupCommandsAndResultsRoundTrip()
    {
        var origin = Guid.NewGuid();
        var reader = Envelope.Open(Envelope.GroupCommand(origin, 300_000, GroupAction.Remove, "conn", "group"), out var kind, out _);
        Assert.Equal(EnvelopeKind.GroupCommand, kind);
        Assert.Equal(300_000, reader.ReadVarInt());
        Assert.Equal((byte)GroupAction.Remove, reader.ReadByte());
        Assert.Equal("conn", reader.ReadString());
        Assert.Equal("group", reader.ReadString());

        reader = Envelope.Open(Envelope.ClientResult(origin, "id.1", ClientResultStatus.Completed, "json", new byte[] { 1, 2 }), out kind, out _);
        Assert.Equal(EnvelopeKind.ClientResult, kind);
        Assert.Equal("id.1", reader.ReadString());
        Assert.Equal((byte)ClientResultStatus.Completed, reader.ReadByte());
        Assert.Equal("json", reader.ReadString());
        Assert.Equal(new byte[] { 1, 2 }, reader.ReadBytes().ToArray());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void SomethingThatIsNotAnEnvelopeIsRejected(byte[] data)
        => Assert.Throws<FormatException>(() => Envelope.Open(data, out _, out _));

    [Fact]
    public void ATruncatedEnvelopeIsRejected()
    {
        var bytes = Envelope.Invocation(Guid.NewGuid(), ["x"], [new SerializedMessage("json", new byte[50])]);

        Assert.Throws<FormatException>(() =>
        {
            var reader = Envelope.Open(bytes.AsMemory(0, bytes.Length - 10), out _, out _);
            reader.ReadStrings();
            reader.ReadMessages(["json"]);
        });
    }
}
