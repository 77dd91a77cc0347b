namespace Isolated.Net;

/// <summary>Bounds of a <see cref="PacketCapture"/>; the defaults suit a test's worth of traffic.</summary>
public sealed record PacketCaptureOptions
{
    /// <summary>The default options.</summary>
    public static PacketCaptureOptions Default { get; } = new();

    /// <summary>Bytes kept of each packet (the pcap snaplen); longer packets are cut, their original length recorded. Default 262144, as tcpdump.</summary>
    public int SnapLength { get; init; } = 262_144;

    /// <summary>The largest the file may grow, header included; packets that would pass it are not written and the capture stops. Default 64 MiB.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The most packets written; the capture stops at this count. Default 1,000,000.</summary>
    public long MaxPackets { get; init; } = 1_000_000;

    internal void Validate()
    {
        if (SnapLength is < 64 or > 262_144)
        {
            throw new ArgumentOutOfRangeException(nameof(SnapLength), SnapLength, "The snap length must be between 64 and 262144 bytes.");
        }
        if (MaxBytes < PcapWriter.GlobalHeaderLength)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, $"MaxBytes must leave room for the {PcapWriter.GlobalHeaderLength}-byte pcap header.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPackets, nameof(MaxPackets));
    }
}
