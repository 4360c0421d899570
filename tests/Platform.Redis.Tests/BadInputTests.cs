using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Platform.Redis.Protocol;

namespace Platform.Redis.Tests;

public sealed class BadInputTests
{
    [Theory]
    [InlineData("", "no endpoint")]
    [InlineData("localhost:notaport", "localhost:notaport")]
    [InlineData("localhost:99999", "localhost:99999")]
    [InlineData("127.0.0.1:6379,connectTimeout=soon", "connectTimeout")]
    [InlineData("127.0.0.1:6379,bogus=1", "bogus")]
    [InlineData("127.0.0.1:6379,ssl=maybe", "ssl")]
    [InlineData("127.0.0.1:6379,protocol=resp9", "protocol")]
    [InlineData("127.0.0.1:6379,serviceName=", "serviceName")]
    [InlineData("127.0.0.1:6379,defaultDatabase=-1", "defaultDatabase")]
    public void MalformedConnectionStringsNameTheBadToken(string configuration, string token)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ConfigurationOptions.Parse(configuration));
        Assert.Contains(token, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionStringsParseInStackExchangeSyntax()
    {
        var o = ConfigurationOptions.Parse("10.0.0.1:26380,10.0.0.2,serviceName=mymaster,password=s3cr3t!,user=app,ssl=false," +
            "connectTimeout=1500,syncTimeout=2500,abortConnect=false,defaultDatabase=2,name=api");
        Assert.Equal([("10.0.0.1", 26380), ("10.0.0.2", 26379)], o.EndPoints.Select(e => (e.Host, e.Port)));
        Assert.Equal(("mymaster", "s3cr3t!", "app", 1500, 2500, false, 2, "api"),
            (o.ServiceName, o.Password, o.User, o.ConnectTimeout, o.SyncTimeout, o.AbortOnConnectFail, o.DefaultDatabase, o.ClientName));
        Assert.DoesNotContain("s3cr3t", o.ToString(), StringComparison.Ordinal);
        Assert.Equal(6379, ConfigurationOptions.Parse("cache").EndPoints[0].Port);
    }

    [Fact]
    public async Task AWrongPasswordFailsWithoutRevealingIt()
    {
        await using var server = FakeServer.Start(async (stream, ct) =>
        {
            await ReadSomeAsync(stream, ct);
            await stream.WriteAsync("-WRONGPASS invalid username-password pair or user is disabled.\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var e = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},password=hunter2secret,connectRetry=0,connectTimeout=2000")).Within();
        Assert.Contains("WRONGPASS", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2secret", e.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> BadPeers => ["garbage", "truncated", "silent", "closes"];

    [Theory]
    [MemberData(nameof(BadPeers))]
    public async Task ABadPeerFailsTheConnectCleanlyWithinItsTimeout(string behaviour)
    {
        var unobserved = new List<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) =>
        {
            if (e.Exception.ToString().Contains("Platform.Redis", StringComparison.Ordinal))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        };
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            await using var server = FakeServer.Start(async (stream, ct) =>
            {
                await ReadSomeAsync(stream, ct);
                switch (behaviour)
                {
                    case "garbage":
                        await stream.WriteAsync("@@@ not resp at all\r\n"u8.ToArray(), ct);
                        break;
                    case "truncated":
                        await stream.WriteAsync("$100\r\nonly a few bytes"u8.ToArray(), ct);
                        return;
                    case "closes":
                        return;
                }

                await Task.Delay(Timeout.Infinite, ct);
            });
            var e = await Assert.ThrowsAsync<RedisConnectionException>(() =>
                ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},connectTimeout=1000,connectRetry=0")).Within();
            Assert.Contains($"127.0.0.1:{server.Port}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }

        Assert.Empty(unobserved);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("silent")]
    public async Task APeerThatMisbehavesAfterTheHandshakeFailsTheCommandNotTheCaller(string behaviour)
    {
        await using var server = FakeServer.Start(async (stream, ct) =>
        {
            await ReadSomeAsync(stream, ct);
            await stream.WriteAsync("%1\r\n+server\r\n+fake\r\n"u8.ToArray(), ct); // a HELLO reply
            await ReadSomeAsync(stream, ct);
            if (behaviour == "garbage")
            {
                await stream.WriteAsync("?1\r\nhuh\r\n"u8.ToArray(), ct);
            }
            else if (behaviour == "truncated")
            {
                await stream.WriteAsync("*3\r\n:1\r\n"u8.ToArray(), ct);
                return;
            }

            await Task.Delay(Timeout.Infinite, ct);
        });
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},connectTimeout=1000,syncTimeout=1000").Within();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => mux.GetDatabase().StringGetAsync("k")).Within();
        Assert.True(e is RedisConnectionException or RedisTimeoutException, e.ToString());
    }

    [Fact]
    public void RandomBytesNeverCrashTheParser()
    {
        var random = new Random(1234);
        var seeds = new[]
        {
            "*2\r\n$3\r\nfoo\r\n:42\r\n", "%1\r\n+a\r\n,3.5\r\n", "|1\r\n+k\r\n+v\r\n$1\r\nx\r\n", ">2\r\n+p\r\n_\r\n",
            "=8\r\ntxt:abcd\r\n", "(123456789012345678901234567890\r\n", "#t\r\n", "!3\r\nerr\r\n", "~1\r\n*-1\r\n",
        };
        for (var i = 0; i < 20000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                if (bytes.Length > 0)
                {
                    bytes[0] = (byte)"+-:$*%~>|_,#(!="[random.Next(15)];
                }
            }
            else
            {
                bytes = Encoding.ASCII.GetBytes(seeds[random.Next(seeds.Length)]);
                for (var m = 0; m < 3; m++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                bytes = bytes[..random.Next(bytes.Length + 1)];
            }

            try
            {
                var buffer = new ReadOnlySequence<byte>(bytes);
                if (RespReader.TryScanFrame(buffer, out var end))
                {
                    var reader = new RespReader(buffer.Slice(0, end));
                    _ = reader.ReadResult();
                }
            }
            catch (RedisProtocolException)
            {
                // rejected cleanly
            }
        }
    }

    [Fact]
    public void HostileNestingIsRejectedWithoutOverflowingTheStack()
    {
        var deep = new StringBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            deep.Append("*1\r\n");
        }

        deep.Append(":1\r\n");
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(deep.ToString()));
        Assert.True(RespReader.TryScanFrame(buffer, out _));
        Assert.Throws<RedisProtocolException>(() =>
        {
            var reader = new RespReader(buffer);
            reader.ReadResult();
        });
    }

    [Fact]
    public void FramesSplitAcrossSegmentsParse()
    {
        var text = "*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n,1.5\r\n:7\r\n";
        var bytes = Encoding.ASCII.GetBytes(text);
        for (var split = 1; split < bytes.Length; split++)
        {
            var buffer = Segments.Create(bytes[..split], bytes[split..]);
            Assert.True(RespReader.TryScanFrame(buffer, out var end));
            Assert.Equal(bytes.Length, buffer.Slice(0, end).Length);
            var reader = new RespReader(buffer);
            var r = reader.ReadResult();
            Assert.Equal("hello", (string?)r[0]);
            Assert.Equal(1.5, (double)r[1][1]);
            Assert.Equal(7, (long)r[2]);
            Assert.False(RespReader.TryScanFrame(buffer.Slice(0, bytes.Length - 1), out _));
        }
    }

    private static async Task ReadSomeAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[4096];
        if (await stream.ReadAsync(buffer, ct) == 0)
        {
            throw new EndOfStreamException();
        }
    }

    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(byte[] bytes) => Memory = bytes;

        public static ReadOnlySequence<byte> Create(byte[] a, byte[] b)
        {
            var first = new Segments(a);
            var second = new Segments(b) { RunningIndex = a.Length };
            first.Next = second;
            return new ReadOnlySequence<byte>(first, 0, second, b.Length);
        }
    }

    /// <summary>A TCP peer that speaks whatever the test tells it to.</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static FakeServer Start(Func<NetworkStream, CancellationToken, Task> behaviour)
        {
            var server = new FakeServer();
            server._listener.Start();
            _ = Task.Run(async () =>
            {
                while (!server._stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await server._listener.AcceptTcpClientAsync(server._stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                    {
                        return;
                    }

                    lock (server._connections)
                    {
                        server._connections.Add(Task.Run(async () =>
                        {
                            using (client)
                            {
                                try
                                {
                                    await behaviour(client.GetStream(), server._stop.Token);
                                }
                                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or EndOfStreamException)
                                {
                                }
                            }
                        }));
                    }
                }
            });
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            Task[] all;
            lock (_connections)
            {
                all = [.. _connections];
            }

            await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }
}
