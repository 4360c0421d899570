using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Platform.SignalR.Redis.Tests.Infrastructure;

namespace Platform.SignalR.Redis.Tests;

public sealed class SerializationTests(RedisFixture redis)
{
    [Fact]
    public async Task AGroupMessageIsSerializedOncePerProtocolNotOncePerReceiver()
    {
        var counting = new CountingProtocol();
        await using var servers = TestServers.Create(redis.ConnectionString, 2, services: s => s.AddSingleton<IHubProtocol>(counting));
        var clients = new List<TestClient>();
        for (var i = 0; i < 6; i++)
        {
            var client = new TestClient(protocol: counting);
            clients.Add(client);
            await servers[i % 2].OnConnectedAsync(client.Connection).WithTimeout();
            await servers[i % 2].AddToGroupAsync(client.Id, "g", TestContext.Current.CancellationToken).WithTimeout();
        }

        await servers[0].SendGroupAsync("g", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        foreach (var client in clients)
        {
            (await client.ReadInvocationAsync()).AssertHello();
            client.Dispose();
        }

        // Once on the sending server; the other server writes the bytes it received.
        Assert.Equal(1, counting.Serializations);
    }

    /// <summary>JSON under another name, counting how often a message is serialized.</summary>
    private sealed class CountingProtocol : IHubProtocol
    {
        private readonly JsonHubProtocol _json = new();
        private int _serializations;

        public int Serializations => Volatile.Read(ref _serializations);

        public string Name => "counting-json";

        public int Version => _json.Version;

        public TransferFormat TransferFormat => _json.TransferFormat;

        public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message)
        {
            Interlocked.Increment(ref _serializations);
            return _json.GetMessageBytes(message);
        }

        public bool IsVersionSupported(int version) => _json.IsVersionSupported(version);

        public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HubMessage? message)
            => _json.TryParseMessage(ref input, binder, out message);

        public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
        {
            Interlocked.Increment(ref _serializations);
            _json.WriteMessage(message, output);
        }
    }
}
