using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Registry;

/// <summary>
/// <see cref="ScriptReply.From"/>: a script's reply comes as one MessagePack string (prelude.lua's <c>reply</c>), and
/// each value reads as Redis would have converted it from the Lua table, so the callers see the same reply. The
/// MessagePack is packed by the real Redis' cmsgpack.
/// </summary>
public sealed class ScriptReplyTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private async Task<(ScriptReply Packed, RedisResult[] AsRedis)> BothAsync(string reply)
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = client.GetDatabase();
        var packed = ScriptReply.From(await db.ScriptEvaluateAsync($"return cmsgpack.pack({reply})"));
        var asRedis = (RedisResult[])(await db.ScriptEvaluateAsync($"return {reply}"))!;
        return (packed, asRedis);
    }

    [Fact]
    public async Task Outcome_values_and_evictions_read_as_the_table_they_were()
    {
        var (reply, _) = await BothAsync("""{ 'duplicate', { 'run-1', 42, '' }, { 'runs:ttl', 3, 'tombstones:cap', 1 } }""");

        Assert.Equal("duplicate", reply.Outcome);
        Assert.Equal("run-1", reply.Text(0));
        Assert.Equal(42, reply.Number(1));
        Assert.Equal("", reply.Text(2));
        Assert.Equal([new Eviction("runs", "ttl", 3), new Eviction("tombstones", "cap", 1)], reply.Evictions);
    }

    [Fact]
    public async Task Each_kind_of_value_converts_as_Redis_converts_it()
    {
        // a number (truncated, as Redis does), true, false, a nested table, and a table with a hole (up to the hole)
        const string values = "{ 7.9, true, false, { 'a', { 'b' } }, { 'x', 'y', nil, 'z' }, '\\0binary\\255' }";

        var (reply, asRedis) = await BothAsync($"{{ 'ok', {values}, {{}} }}");

        var expected = (RedisResult[])asRedis[1]!;
        Assert.Equal(expected.Length, reply.Values.Length);
        Assert.Equal((long)expected[0], reply.Number(0));
        Assert.Equal((long)expected[1], reply.Number(1));
        Assert.Equal(expected[2].IsNull, reply.Values[2].IsNull);
        Assert.Equal("a", (string)((RedisResult[])reply.Values[3]!)[0]!);
        Assert.Equal("b", (string)((RedisResult[])((RedisResult[])reply.Values[3]!)[1]!)[0]!);
        Assert.Equal(((RedisResult[])expected[4]!).Select(r => (string)r!), ((RedisResult[])reply.Values[4]!).Select(r => (string)r!));
        Assert.Equal((byte[])expected[5]!, (byte[])reply.Values[5]!);
    }
}
