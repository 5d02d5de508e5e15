using FsCheck;
using FsCheck.Xunit;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

public sealed class ShardAndPolicyTests
{
    [Property]
    public bool A_session_maps_to_a_shard_in_range(NonEmptyString tenant, NonEmptyString session, PositiveInt shards)
    {
        var count = shards.Get % 256 + 1;
        var shard = Shard.ForSession(tenant.Get, session.Get, count);
        return shard.Number >= 0 && shard.Number < count;
    }

    [Theory]
    [InlineData("t1", "agent:main", 16, 15)]
    [InlineData("dev", "session-1", 16, 9)]
    [InlineData("tenant-a", "agent:sse", 16, 10)]
    [InlineData("bench", "b1a2b3-000042", 16, 0)]
    [InlineData("t2", "ü-unicode", 16, 13)]
    [InlineData("t2", "ü-unicode", 256, 253)]
    public void A_sessions_shard_is_the_same_in_every_process_and_version(string tenant, string session, int shards, int expected)
    {
        // FNV-1a of "tenant/session" (UTF-8), modulo the shards: a different function would strand every session's
        // data in its old shard. The values were computed independently of Shard.cs.
        Assert.Equal(expected, Shard.ForSession(tenant, session, shards).Number);
    }

    [Fact]
    public void The_default_retention_is_the_seeds()
    {
        // The rules the seed report and OpenClaw's follow-ups ask for; RetentionTests reads them from the options.
        var o = new RegistryOptions();
        Assert.Equal(TimeSpan.FromMinutes(60), o.RunArchiveAfterEnd);
        Assert.Equal(TimeSpan.FromMinutes(5), o.SessionRunArchiveAfterCleanup);
        Assert.Equal(TimeSpan.FromMinutes(30), o.ContextIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), o.PendingErrorGrace);
        Assert.Equal(TimeSpan.FromMinutes(5), o.PendingErrorMax);
        Assert.Equal(TimeSpan.FromHours(1), o.AbortedRetention);
        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30)), (o.RecipientsIdle, o.RecipientsAfterFinal));
        Assert.Equal(TimeSpan.FromMinutes(5), o.DedupeRetention);
        Assert.Equal(TimeSpan.FromHours(24), o.MaxRunLifetime);
        Assert.Equal(TimeSpan.FromHours(1), o.TombstoneRetention);
        Assert.Equal(1000, o.SessionLogMaxLength);
        Assert.Equal(8, o.RetirePerWrite);
        Assert.Equal((1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1000),
            (o.MaxEntries.Runs, o.MaxEntries.DedupeKeys, o.MaxEntries.SessionLogs, o.MaxEntries.Tombstones, o.MaxEntries.AbortedRuns, o.MaxEntries.RecipientsPerRun));
    }

    [Fact]
    public void The_scripts_take_the_policy_fields_and_the_indexes_from_csharp_alone()
    {
        var names = RetentionPolicy.Fields.Select(f => f.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        var header = RegistryScripts.GeneratedHeader();
        Assert.Contains($"local POLICY_FIELDS = {{ {string.Join(", ", names.Select(n => $"'{n}'"))} }}", header);
        Assert.Contains($"local INDEXES = {{ {string.Join(", ", Registries.Indexes.Select(i => $"'{i}'"))} }}", header);
        // no second, hand-written list in Lua
        using var stream = typeof(RegistryScripts).Assembly.GetManifestResourceStream("Gateway.Registry.Scripts.prelude.lua")!;
        var prelude = new StreamReader(stream).ReadToEnd();
        Assert.DoesNotContain("'run_archive'", prelude);
        Assert.DoesNotContain("local INDEXES", prelude);
        Assert.DoesNotContain("local POLICY_FIELDS", prelude);
    }

    [Property]
    public bool A_run_id_names_its_shard_and_its_keys_share_one_hash_tag(byte number)
    {
        var shard = new Shard(number);
        var id = Shard.NewRunId(shard, DateTimeOffset.UtcNow);
        return Shard.TryFromRunId(id, 256, out var parsed) && parsed == shard
            && shard.Key(RunRecordLayout.Key).ToString().StartsWith(shard.Prefix.ToString(), StringComparison.Ordinal)
            && shard.Prefix.ToString().Contains($"{{{number:x2}}}");
    }

    [Fact]
    public void Run_ids_are_short_unique_and_ordered_by_time()
    {
        var start = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 10_000).Select(i => Shard.NewRunId(new Shard(3), start.AddMilliseconds(i))).ToList();
        Assert.All(ids, id => Assert.Matches("^03[0-9a-hjkmnp-tv-z]{18}$", id));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        var sameInstant = Enumerable.Range(0, 10_000).Select(_ => Shard.NewRunId(new Shard(3), start)).ToList();
        Assert.Equal(sameInstant.Count, sameInstant.Distinct().Count());
    }

    [Fact]
    public void A_run_id_of_the_earlier_layout_still_names_its_shard()
    {
        Assert.True(Shard.TryFromRunId("0a0123456789abcdef0123456789abcdef", 16, out var shard));
        Assert.Equal(10, shard.Number);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0312345678901234567i")]                 // 'i' is not a base32 digit
    [InlineData("ff12345678901234567a")]                 // shard ff does not exist with 16 shards
    [InlineData("not-a-run-id")]
    [InlineData("ff0123456789abcdef0123456789abcdef")]   // shard ff does not exist with 16 shards
    [InlineData("0G0123456789abcdef0123456789abcdef")]
    public void Malformed_run_ids_name_no_shard(string runId) => Assert.False(Shard.TryFromRunId(runId, 16, out _));

    [Fact]
    public void Invalid_retention_settings_are_refused_with_the_key_that_is_wrong()
    {
        var error = Assert.Throws<ArgumentException>(() => new RetentionPolicy(new RegistryOptions
        {
            ContextIdleTimeout = TimeSpan.Zero,
            Shards = 0,
            MaxEntries = { Runs = 0 },
        }));
        Assert.Contains("Registry:ContextIdleTimeout", error.Message);
        Assert.Contains("Registry:Shards", error.Message);
        Assert.Contains("Registry:MaxEntries:Runs", error.Message);
        Assert.Contains("Registry:RetirePerWrite must be 0..1000 (was -1)",
            Assert.Throws<ArgumentException>(() => new RetentionPolicy(new RegistryOptions { RetirePerWrite = -1 })).Message);
        Assert.Contains("Registry:RetirePerWrite must be 0..1000 (was 1001)",
            Assert.Throws<ArgumentException>(() => new RetentionPolicy(new RegistryOptions { RetirePerWrite = 1001 })).Message);
    }

    [Fact]
    public void A_run_timeout_is_capped_by_the_max_lifetime()
    {
        var policy = new RetentionPolicy(new RegistryOptions { MaxRunLifetime = TimeSpan.FromHours(2) });
        var now = DateTimeOffset.UnixEpoch;
        Assert.Equal(now + TimeSpan.FromMinutes(10), policy.RunTimeout(now, 600).At);
        Assert.Equal(now + TimeSpan.FromHours(2), policy.RunTimeout(now, 0).At);
        Assert.Equal(now + TimeSpan.FromHours(2), policy.RunTimeout(now, 86_400).At);
    }
}
