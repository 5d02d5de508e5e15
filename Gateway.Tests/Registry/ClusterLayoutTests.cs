using System.Net;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// How the registry sits on a Redis Cluster: each shard is one hash slot, and the 16 shards' slots spread over
/// the three masters that <c>redis-cli --cluster create</c> makes, so each master carries about a third of the
/// traffic. (Every other registry test runs on a cluster too: the *OnCluster classes.)
/// </summary>
public sealed class ClusterLayoutTests(RedisCluster cluster) : IClassFixture<RedisCluster>
{
    [Fact]
    public async Task The_sixteen_shards_spread_six_five_five_over_three_masters_and_each_holds_its_shards_keys()
    {
        await using var h = await RegistryHarness.CreateAsync(cluster);
        var db = cluster.Admin.GetDatabase();
        var owners = new Dictionary<int, EndPoint>();
        for (var shard = 0; shard < h.Options.Shards; shard++)
        {
            owners[shard] = (await db.IdentifyEndpointAsync(new Shard(shard).Prefix))!;
        }
        Assert.Equal([5, 5, 6], owners.Values.GroupBy(e => e.ToString()).Select(g => g.Count()).Order());

        // a run in every shard: each master then holds keys, and exactly its own shards' keys
        var sessions = Enumerable.Range(0, 400).Select(i => $"s{i}").ToList();
        foreach (var session in sessions.DistinctBy(s => Shard.ForSession("t1", s, h.Options.Shards))) await h.SpawnAsync(session);
        foreach (var master in cluster.Masters)
        {
            var keys = master.Keys(pattern: "*").Select(k => (string)k!).ToList();
            Assert.NotEmpty(keys);
            Assert.All(keys, key => Assert.Equal(master.EndPoint.ToString(), owners[Convert.ToInt32(key[4..6], 16)].ToString()));
        }
    }
}
