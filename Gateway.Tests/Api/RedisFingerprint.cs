using System.Text;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Api;

/// <summary>Every key and its content (TTLs aside), as text: equal before and after a refused request
/// means the request stored nothing.</summary>
public static class RedisFingerprint
{
    public static async Task<string> OfAsync(RedisServer redis)
    {
        var db = redis.Admin.GetDatabase();
        var text = new StringBuilder();
        var keys = new List<string>();
        await foreach (var key in redis.Server.KeysAsync(pattern: "*")) keys.Add(key!);
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            text.Append(key).Append(" => ");
            switch (await db.KeyTypeAsync(key))
            {
                case RedisType.Hash:
                    text.AppendJoin(',', (await db.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal));
                    break;
                case RedisType.SortedSet:
                    text.AppendJoin(',', (await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => $"{e.Element}@{e.Score}"));
                    break;
                case RedisType.Set:
                    text.AppendJoin(',', (await db.SetMembersAsync(key)).Select(m => (string)m!).Order(StringComparer.Ordinal));
                    break;
                case RedisType.List:
                    text.AppendJoin(',', (await db.ListRangeAsync(key)).Select(e => (string)e!));
                    break;
                default:
                    text.Append(await db.StringGetAsync(key));
                    break;
            }
            text.AppendLine();
        }
        return text.ToString();
    }
}
