namespace Platform.Redis.Tests;

[Collection("redis")]
public sealed class AclTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task AclUserAuthenticatesWithUserAndPasswordAndGetsOnlyItsPermissions()
    {
        var user = "app" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await fixture.ConnectAsync().Within())
        {
            // May read and write keys under its own prefix, nothing else.
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">s3cret-pass", $"~{user}:*", "+@all").Within();
        }

        var endpoint = fixture.Topology.MasterConnectionString.Split(',')[0];
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"{endpoint},user={user},password=s3cret-pass").Within();
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync($"{user}:k", "v").Within());
        Assert.Equal(user, (string?)await db.ExecuteAsync("ACL", "WHOAMI").Within());
        var denied = await Assert.ThrowsAsync<RedisServerException>(() => db.StringGetAsync("other:k")).Within();
        Assert.StartsWith("NOPERM", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongAclPasswordFailsToConnectWithoutRevealingIt()
    {
        var endpoint = fixture.Topology.MasterConnectionString.Split(',')[0];
        var error = await Assert.ThrowsAnyAsync<Exception>(
            () => ConnectionMultiplexer.ConnectAsync($"{endpoint},user=nobody,password=wrong-secret-value,connectTimeout=2000")).Within(TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("wrong-secret-value", error.ToString(), StringComparison.Ordinal);
    }
}
