using System.Buffers.Binary;
using Isolated.Net.Netlink;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netfilter;

// One nf_tables message of a batch: its type, flags, family, the attributes, and what it does in words
// for errors ("adding nftables rule to isolated_net/input"). Every message asks for an acknowledgement
// (NLM_F_ACK), so each one's outcome is known; nft itself asks only for errors.
internal sealed class NftMessage
{
    private readonly Action<NetlinkAttributeWriter> _attributes;

    private NftMessage(ushort message, ushort flags, byte family, string operation, Action<NetlinkAttributeWriter> attributes)
    {
        Message = message;
        Flags = flags;
        Family = family;
        Operation = operation;
        _attributes = attributes;
    }

    /// <summary>The NFT_MSG_* type, without the subsystem byte.</summary>
    public ushort Message { get; }

    /// <summary>NLM_F_* flags besides NLM_F_REQUEST and NLM_F_ACK, which every message carries.</summary>
    public ushort Flags { get; }

    /// <summary>The NFPROTO_* family of the table (nfgen_family).</summary>
    public byte Family { get; }

    /// <summary>What the message does, in words for an error message.</summary>
    public string Operation { get; }

    // Equivalent to: nft add table inet NAME
    public static NftMessage NewTable(byte family, string table) =>
        new(NFT_MSG_NEWTABLE, 0, family, $"adding nftables table {FamilyName(family)} {table}", w =>
        {
            w.AddString(NFTA_TABLE_NAME, table);
            w.AddAttribute(NFTA_TABLE_FLAGS, BinaryPrimitives.ReverseEndianness(0u));
        });

    // Equivalent to: nft delete table inet NAME
    public static NftMessage DeleteTable(byte family, string table) =>
        new(NFT_MSG_DELTABLE, 0, family, $"deleting nftables table {FamilyName(family)} {table}", w => w.AddString(NFTA_TABLE_NAME, table));

    // Equivalent to: nft add chain inet TABLE NAME '{ type TYPE hook HOOK priority P; policy accept|drop; }'
    // (a regular chain, the target of jumps, has no type, hook or policy)
    public static NftMessage NewChain(byte family, string table, NftChain chain) =>
        new(NFT_MSG_NEWCHAIN, NLM_F_CREATE, family, $"adding nftables chain {table}/{chain.Name}", w =>
        {
            w.AddString(NFTA_CHAIN_TABLE, table);
            w.AddString(NFTA_CHAIN_NAME, chain.Name);
            if (chain.Hook is { } hook)
            {
                w.AddString(NFTA_CHAIN_TYPE, hook.Type);
                w.AddAttribute(NFTA_CHAIN_POLICY, BinaryPrimitives.ReverseEndianness((uint)(chain.Policy == NftPolicy.Accept ? NF_ACCEPT : NF_DROP)));
                var nest = w.AddAttribute(NLA_F_NESTED | NFTA_CHAIN_HOOK);
                nest.AddAttribute(NFTA_HOOK_HOOKNUM, BinaryPrimitives.ReverseEndianness(hook.Number));
                nest.AddAttribute(NFTA_HOOK_PRIORITY, BinaryPrimitives.ReverseEndianness(unchecked((uint)hook.Priority)));
            }
        });

    // Equivalent to: nft add rule inet TABLE CHAIN EXPRESSIONS (appended at the end of the chain)
    public static NftMessage NewRule(byte family, string table, string chain, IReadOnlyList<NftExpression> expressions) =>
        new(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family, $"adding nftables rule to {table}/{chain}", w =>
        {
            w.AddString(NFTA_RULE_TABLE, table);
            w.AddString(NFTA_RULE_CHAIN, chain);
            var list = w.AddAttribute(NLA_F_NESTED | NFTA_RULE_EXPRESSIONS);
            foreach (var expression in expressions)
            {
                expression.Encode(list);
            }
        });

    /// <summary>Writes the message with sequence number <paramref name="sequence"/>.</summary>
    public void Encode(NetlinkMessageWriter writer, uint sequence)
    {
        var message = writer.BeginMessage(NftMessageType(Message), (ushort)(NLM_F_REQUEST | NLM_F_ACK | Flags), sequence, new nfgenmsg { nfgen_family = Family, version = NFNETLINK_V0 });
        _attributes(message);
        writer.EndMessage();
    }

    internal static string FamilyName(byte family) => family switch
    {
        NFPROTO_INET => "inet",
        NFPROTO_IPV4 => "ip",
        NFPROTO_IPV6 => "ip6",
        NFPROTO_ARP => "arp",
        NFPROTO_BRIDGE => "bridge",
        NFPROTO_NETDEV => "netdev",
        _ => "family " + family,
    };
}

// A transaction: NFNL_MSG_BATCH_BEGIN, the messages, NFNL_MSG_BATCH_END, written back to back for one
// sendmsg. The kernel applies all of it or, if any message fails, none of it.
internal static class NftBatch
{
    /// <summary>
    /// Writes the batch: BATCH_BEGIN takes <paramref name="firstSequence"/>, message i takes
    /// firstSequence + 1 + i, BATCH_END the one after the last message.
    /// </summary>
    public static void Encode(NetlinkMessageWriter writer, uint firstSequence, IReadOnlyList<NftMessage> messages)
    {
        // The batch messages' res_id names the subsystem the batch is for, in network order.
        var envelope = new nfgenmsg { nfgen_family = AF_UNSPEC, version = NFNETLINK_V0, res_id = BinaryPrimitives.ReverseEndianness(NFNL_SUBSYS_NFTABLES) };
        writer.BeginMessage(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, firstSequence, envelope);
        for (int i = 0; i < messages.Count; i++)
        {
            messages[i].Encode(writer, unchecked(firstSequence + 1 + (uint)i));
        }
        writer.BeginMessage(NFNL_MSG_BATCH_END, NLM_F_REQUEST, unchecked(firstSequence + 1 + (uint)messages.Count), envelope);
        writer.EndMessage();
    }
}
