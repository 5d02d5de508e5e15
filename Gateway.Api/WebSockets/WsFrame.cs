using System.Buffers;

namespace Gateway.Api.WebSockets;

/// <summary>One serialized server frame in a pooled array, owned by the send queue until it is sent or dropped.</summary>
public readonly struct WsFrame(byte[] buffer, int length)
{
    public int Length => length;

    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

    public bool IsEmpty => buffer is null;

    public void Return()
    {
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
