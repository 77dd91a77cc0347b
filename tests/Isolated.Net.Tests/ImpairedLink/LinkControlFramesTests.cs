using Xunit;

namespace Isolated.Net.Tests.ImpairedLinks;

public sealed class LinkControlFramesTests
{
    [Theory]
    [InlineData("ARP request", true)]
    [InlineData("IPv6 neighbour solicitation", true)]
    [InlineData("MLDv2 report behind hop-by-hop options", true)]
    [InlineData("IGMP report", true)]
    [InlineData("UDP over IPv4", false)]
    [InlineData("ICMPv6 echo request", false)]
    [InlineData("UDP over IPv4 in a VLAN", false)]
    [InlineData("ARP in a VLAN", true)]
    [InlineData("runt", false)]
    public void Recognises_the_frames_a_link_needs(string frame, bool isLinkControl) =>
        Assert.Equal(isLinkControl, LinkControlFrames.IsLinkControl(Frame(frame)));

    private static byte[] Frame(string kind)
    {
        var ethernet = new List<byte>(new byte[12]); // destination and source MAC
        void EtherType(ushort type) => ethernet.AddRange([(byte)(type >> 8), (byte)type]);
        byte[] ipv4(byte protocol) { var h = new byte[20]; h[0] = 0x45; h[9] = protocol; return h; }
        byte[] ipv6(byte next, params byte[] payload) { var h = new byte[40]; h[0] = 0x60; h[6] = next; return [.. h, .. payload]; }
        switch (kind)
        {
            case "ARP request": EtherType(0x0806); ethernet.AddRange(new byte[28]); break;
            case "IPv6 neighbour solicitation": EtherType(0x86DD); ethernet.AddRange(ipv6(58, 135, 0, 0, 0)); break;
            case "MLDv2 report behind hop-by-hop options":
                EtherType(0x86DD);
                ethernet.AddRange(ipv6(0, [58, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0]));
                break;
            case "IGMP report": EtherType(0x0800); ethernet.AddRange(ipv4(2)); ethernet.AddRange(new byte[8]); break;
            case "UDP over IPv4": EtherType(0x0800); ethernet.AddRange(ipv4(17)); ethernet.AddRange(new byte[8]); break;
            case "ICMPv6 echo request": EtherType(0x86DD); ethernet.AddRange(ipv6(58, 128, 0, 0, 0)); break;
            case "UDP over IPv4 in a VLAN": EtherType(0x8100); ethernet.AddRange([0, 5]); EtherType(0x0800); ethernet.AddRange(ipv4(17)); break;
            case "ARP in a VLAN": EtherType(0x8100); ethernet.AddRange([0, 5]); EtherType(0x0806); ethernet.AddRange(new byte[28]); break;
            case "runt": return new byte[10];
        }
        return [.. ethernet];
    }
}
