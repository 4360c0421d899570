using System.Globalization;
using System.Net;
using System.Text;

namespace Platform.Redis;

/// <summary>Connection settings, parsed from StackExchange.Redis's connection-string syntax:
/// <c>host:port[,host:port…][,option=value…]</c>. With <see cref="ServiceName"/> the endpoints are Sentinels.</summary>
public sealed class ConfigurationOptions
{
    public const int DefaultPort = 6379;
    public const int DefaultSentinelPort = 26379;

    public IList<DnsEndPoint> EndPoints { get; private set; } = [];

    /// <summary>Never printed: <see cref="ToString"/> masks it and no exception or log message carries it.</summary>
    public string? Password { get; set; }

    public string? User { get; set; }

    public string? ServiceName { get; set; }

    public bool Ssl { get; set; }

    public string? SslHost { get; set; }

    public int ConnectTimeout { get; set; } = 5000;

    public int SyncTimeout { get; set; } = 5000;

    /// <summary>Per-command timeout of async commands in milliseconds; defaults to <see cref="SyncTimeout"/>.</summary>
    public int? AsyncTimeout { get; set; }

    public bool AbortOnConnectFail { get; set; } = true;

    public int? DefaultDatabase { get; set; }

    public string? ClientName { get; set; }

    /// <summary>Seconds of idleness before a PING; a connection silent for twice this while waiting is dead.</summary>
    public int KeepAlive { get; set; } = 5;

    /// <summary>RESP protocol to ask for: 3 (HELLO 3, falling back to 2) or 2.</summary>
    public int Protocol { get; set; } = 3;

    /// <summary>Upper bound of the reconnect backoff in milliseconds.</summary>
    public int ReconnectMaxDelay { get; set; } = 5000;

    public int ConnectRetry { get; set; } = 3;

    /// <summary>Optional sink for connection diagnostics (never receives the password).</summary>
    public TextWriter? Log { get; set; }

    internal int EffectiveAsyncTimeout => AsyncTimeout ?? SyncTimeout;

    public static ConfigurationOptions Parse(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ConfigurationOptions();
        foreach (var raw in configuration.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                options.EndPoints.Add(ParseEndPoint(raw));
                continue;
            }

            var key = raw[..eq].Trim();
            var value = raw[(eq + 1)..].Trim();
            options.Apply(key, value);
        }

        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException("the connection string names no endpoint (expected host:port)", nameof(configuration));
        }

        if (options.ServiceName is not null)
        {
            // Sentinels listen on 26379 unless told otherwise.
            for (var i = 0; i < options.EndPoints.Count; i++)
            {
                if (options.EndPoints[i].Port == 0)
                {
                    options.EndPoints[i] = new DnsEndPoint(options.EndPoints[i].Host, DefaultSentinelPort);
                }
            }
        }

        for (var i = 0; i < options.EndPoints.Count; i++)
        {
            if (options.EndPoints[i].Port == 0)
            {
                options.EndPoints[i] = new DnsEndPoint(options.EndPoints[i].Host, DefaultPort);
            }
        }

        return options;
    }

    private void Apply(string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "password": Password = value; break;
            case "user": User = value; break;
            case "servicename": ServiceName = NonEmpty(key, value); break;
            case "ssl": Ssl = Bool(key, value); break;
            case "sslhost": SslHost = value; break;
            case "connecttimeout": ConnectTimeout = Int(key, value, 1); break;
            case "synctimeout": SyncTimeout = Int(key, value, 1); break;
            case "asynctimeout": AsyncTimeout = Int(key, value, 1); break;
            case "abortconnect": AbortOnConnectFail = Bool(key, value); break;
            case "defaultdatabase": DefaultDatabase = Int(key, value, 0); break;
            case "name": ClientName = value; break;
            case "keepalive": KeepAlive = Int(key, value, 1); break;
            case "connectretry": ConnectRetry = Int(key, value, 0); break;
            case "protocol":
                Protocol = value.ToLowerInvariant() switch
                {
                    "resp2" or "2" => 2,
                    "resp3" or "3" => 3,
                    _ => throw Bad(key, "expected resp2 or resp3"),
                };
                break;
            case "allowadmin" or "tiebreaker" or "version" or "resolvedns" or "checkcertificaterevocation":
                break; // accepted for compatibility with StackExchange.Redis strings; they change nothing here
            default:
                throw new ArgumentException($"Keyword '{key}' is not supported in the Redis connection string", "configuration");
        }
    }

    private static DnsEndPoint ParseEndPoint(string token)
    {
        var host = token;
        var port = 0;
        var colon = token.LastIndexOf(':');
        if (colon >= 0 && !token.EndsWith(']'))
        {
            host = token[..colon];
            if (!int.TryParse(token.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new ArgumentException($"Invalid endpoint '{token}' in the Redis connection string (expected host:port)", "configuration");
            }
        }

        host = host.Trim('[', ']');
        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"Invalid endpoint '{token}' in the Redis connection string (expected host:port)", "configuration");
        }

        return new DnsEndPoint(host, port);
    }

    private static ArgumentException Bad(string key, string why) =>
        new($"Invalid value for '{key}' in the Redis connection string: {why}", "configuration");

    private static string NonEmpty(string key, string value) => value.Length > 0 ? value : throw Bad(key, "empty");

    private static bool Bool(string key, string value) => bool.TryParse(value, out var b) ? b : throw Bad(key, "expected true or false");

    private static int Int(string key, string value, int min) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) && i >= min
            ? i
            : throw Bad(key, $"expected an integer >= {min}");

    public ConfigurationOptions Clone()
    {
        var c = (ConfigurationOptions)MemberwiseClone();
        c.EndPoints = new List<DnsEndPoint>(EndPoints);
        return c;
    }

    /// <summary>The connection string with the password masked.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var ep in EndPoints)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(ep.Host).Append(':').Append(ep.Port.ToString(CultureInfo.InvariantCulture));
        }

        void Add(string k, object? v)
        {
            if (v is not null)
            {
                sb.Append(',').Append(k).Append('=').Append(Convert.ToString(v, CultureInfo.InvariantCulture));
            }
        }

        Add("serviceName", ServiceName);
        Add("user", User);
        Add("password", Password is null ? null : "*****");
        Add("ssl", Ssl ? "true" : null);
        Add("connectTimeout", ConnectTimeout);
        Add("syncTimeout", SyncTimeout);
        Add("abortConnect", AbortOnConnectFail ? "true" : "false");
        Add("defaultDatabase", DefaultDatabase);
        Add("name", ClientName);
        return sb.ToString();
    }
}
