using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netfilter;

/// <summary>
/// The whole nftables state the library wants in one namespace: one inet table it owns (by default
/// `isolated_net`), its chains and their rules. Applying it replaces whatever the table held, in one
/// transaction; other tables (the user's, a container runtime's) are never touched.
/// </summary>
internal sealed class NftRuleset
{
    public const string DefaultTable = "isolated_net";

    private readonly List<NftChain> _chains = [];

    public NftRuleset(string table = DefaultTable)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        if (table.Length > NftChain.MaxNameLength)
        {
            throw new ArgumentException($"An nftables table name is at most {NftChain.MaxNameLength} characters: '{table}'.", nameof(table));
        }
        Table = table;
    }

    /// <summary>The table's name; its family is always inet (IPv4 and IPv6 in one table).</summary>
    public string Table { get; }

    public const byte Family = NFPROTO_INET;

    public IReadOnlyList<NftChain> Chains => _chains;

    /// <summary>True when no chain has been asked for: applying it leaves an empty table.</summary>
    public bool IsEmpty => _chains.Count == 0;

    /// <summary>The base chain on <paramref name="hook"/>, created (empty, policy accept) on first use.</summary>
    public NftChain Chain(NftHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var existing = _chains.Find(c => c.Hook == hook);
        if (existing is not null)
        {
            return existing;
        }
        var chain = new NftChain(hook.DefaultChainName, hook);
        Add(chain);
        return chain;
    }

    /// <summary>A regular chain (no hook: reached by a jump), created on first use.</summary>
    public NftChain Chain(string name)
    {
        var existing = _chains.Find(c => c.Name == name);
        if (existing is not null)
        {
            return existing.Hook is null ? existing : throw new ArgumentException($"'{name}' is a base chain of this ruleset; ask for it by its hook.", nameof(name));
        }
        var chain = new NftChain(name, hook: null);
        Add(chain);
        return chain;
    }

    /// <summary>Checks every rule against its chain and every jump against the chains, before anything is sent.</summary>
    public void Validate()
    {
        foreach (var chain in _chains)
        {
            foreach (var rule in chain.Rules)
            {
                rule.Validate(chain);
                if (rule.Action is NftAction.JumpTo jump && _chains.Find(c => c.Name == jump.Chain) is not { Hook: null })
                {
                    throw new ArgumentException($"A rule in chain '{chain.Name}' jumps to '{jump.Chain}', which is not a regular chain of this ruleset.");
                }
            }
        }
    }

    /// <summary>
    /// The transaction that makes the kernel hold exactly this ruleset: add the table (so the delete
    /// cannot fail when it is missing), delete it with everything in it, add it again, then its chains
    /// (regular ones first, so jumps find them) and their rules in order.
    /// </summary>
    public IReadOnlyList<NftMessage> ApplyMessages()
    {
        Validate();
        var messages = new List<NftMessage>
        {
            NftMessage.NewTable(Family, Table),
            NftMessage.DeleteTable(Family, Table),
            NftMessage.NewTable(Family, Table),
        };
        foreach (var chain in _chains.Where(c => c.Hook is null).Concat(_chains.Where(c => c.Hook is not null)))
        {
            messages.Add(NftMessage.NewChain(Family, Table, chain));
        }
        foreach (var chain in _chains)
        {
            foreach (var rule in chain.Rules)
            {
                messages.Add(NftMessage.NewRule(Family, Table, chain.Name, rule.Compile()));
            }
        }
        return messages;
    }

    /// <summary>Removing the table and everything in it, whether or not it exists.</summary>
    public static IReadOnlyList<NftMessage> ClearMessages(string table = DefaultTable) =>
    [
        NftMessage.NewTable(NFPROTO_INET, table),
        NftMessage.DeleteTable(NFPROTO_INET, table),
    ];

    /// <summary>The ruleset in nft's own syntax, as `nft list table inet NAME` would print it.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.Append("table inet ").Append(Table).Append(" {\n");
        foreach (var chain in _chains)
        {
            text.Append("\tchain ").Append(chain.Name).Append(" {\n");
            if (chain.Hook is { } hook)
            {
                text.Append("\t\ttype ").Append(hook.Type).Append(" hook ").Append(hook.HookName).Append(" priority ")
                    .Append(hook.Priority).Append("; policy ").Append(chain.Policy == NftPolicy.Accept ? "accept" : "drop").Append(";\n");
            }
            foreach (var rule in chain.Rules)
            {
                text.Append("\t\t").Append(rule).Append('\n');
            }
            text.Append("\t}\n");
        }
        return text.Append('}').ToString();
    }

    private void Add(NftChain chain)
    {
        if (_chains.Exists(c => c.Name == chain.Name))
        {
            throw new ArgumentException($"The ruleset already has a chain named '{chain.Name}'.");
        }
        _chains.Add(chain);
    }
}

/// <summary>What a base chain attaches to: its type (filter or nat), the netfilter hook and the priority.</summary>
internal sealed class NftHook
{
    private NftHook(string type, uint number, int priority, string hookName, string defaultChainName)
    {
        Type = type;
        Number = number;
        Priority = priority;
        HookName = hookName;
        DefaultChainName = defaultChainName;
    }

    // Equivalent to: type filter hook input priority filter
    public static NftHook Input { get; } = new("filter", NF_INET_LOCAL_IN, NF_IP_PRI_FILTER, "input", "input");

    // Equivalent to: type filter hook output priority filter
    public static NftHook Output { get; } = new("filter", NF_INET_LOCAL_OUT, NF_IP_PRI_FILTER, "output", "output");

    // Equivalent to: type filter hook forward priority filter
    public static NftHook Forward { get; } = new("filter", NF_INET_FORWARD, NF_IP_PRI_FILTER, "forward", "forward");

    // Equivalent to: type nat hook prerouting priority dstnat
    public static NftHook Prerouting { get; } = new("nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST, "prerouting", "prerouting");

    // Equivalent to: type nat hook postrouting priority srcnat
    public static NftHook Postrouting { get; } = new("nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC, "postrouting", "postrouting");

    // Equivalent to: type nat hook output priority -100 (DNAT of locally generated packets)
    public static NftHook NatOutput { get; } = new("nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST, "output", "nat_output");

    /// <summary>"filter" or "nat" (NFTA_CHAIN_TYPE).</summary>
    public string Type { get; }

    /// <summary>NF_INET_* hook number.</summary>
    public uint Number { get; }

    public int Priority { get; }

    public string HookName { get; }

    public string DefaultChainName { get; }

    public bool IsNat => Type == "nat";

    public override string ToString() => $"type {Type} hook {HookName} priority {Priority}";
}

internal enum NftPolicy
{
    Accept,
    Drop,
}

/// <summary>A chain of the ruleset: base (on a hook, with a policy) or regular (reached by jumps).</summary>
internal sealed class NftChain
{
    public const int MaxNameLength = 255; // NFT_NAME_MAXLEN - 1

    private readonly List<NftRule> _rules = [];

    internal NftChain(string name, NftHook? hook)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"An nftables chain name is at most {MaxNameLength} characters: '{name}'.", nameof(name));
        }
        Name = name;
        Hook = hook;
    }

    public string Name { get; }

    /// <summary>The hook of a base chain; null for a regular chain.</summary>
    public NftHook? Hook { get; }

    /// <summary>What happens to a packet no rule of a base chain decided on.</summary>
    public NftPolicy Policy { get; set; } = NftPolicy.Accept;

    public IReadOnlyList<NftRule> Rules => _rules;

    /// <summary>Appends a rule (checked against the chain now, so a bad rule fails here, not in the kernel).</summary>
    public NftChain Add(NftRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate(this);
        _rules.Add(rule);
        return this;
    }
}
