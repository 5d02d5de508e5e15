using StackExchange.Redis;

namespace Gateway.Registry;

/// <summary>One registry operation as a batch carries it: its name (OPS.name in Lua), its own time in Unix ms
/// (deadlines it computes are relative to it), and its arguments.</summary>
public readonly record struct Operation(string Name, long Now, RedisValue[] Args);
