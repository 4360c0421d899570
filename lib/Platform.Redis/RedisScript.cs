using System.Security.Cryptography;
using System.Text;

namespace Platform.Redis;

/// <summary>A Lua script run with EVALSHA; its SHA1 is computed once. On NOSCRIPT (a restarted or newly promoted
/// server does not have it) the script is sent with EVAL, which also caches it there.</summary>
public sealed class RedisScript
{
    public RedisScript(string lua)
    {
        ArgumentException.ThrowIfNullOrEmpty(lua);
        Lua = lua;
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(lua)));
    }

    public string Lua { get; }

    public string Sha1 { get; }

    public override string ToString() => Sha1;
}
