namespace Isolated.Net.Netfilter;

// Puts a ruleset into a namespace and takes it out again. Each call is one transaction on the
// namespace's own netfilter socket (NetworkNamespace.Netfilter: kept open, since closing one right
// after a transaction waits for the kernel's RCU grace period).
internal static class NftTable
{
    // Equivalent to: nft -f - <<< 'table inet T; delete table inet T; table inet T { ...chains and rules... }'
    /// <summary>
    /// Makes <paramref name="ruleset"/>'s table in <paramref name="ns"/> hold exactly that ruleset,
    /// replacing what it held, atomically: packets see the old rules or the new ones, never a mix.
    /// Validated before anything is sent.
    /// </summary>
    public static void Apply(NetworkNamespace ns, NftRuleset ruleset)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(ruleset);
        var messages = ruleset.ApplyMessages();
        ns.Netfilter.Execute(messages);
    }

    // Equivalent to: nft -f - <<< 'table inet T; delete table inet T'
    /// <summary>Deletes the table and everything in it; nothing happens when it does not exist.</summary>
    public static void Clear(NetworkNamespace ns, string table = NftRuleset.DefaultTable)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ns.Netfilter.Execute(NftRuleset.ClearMessages(table));
    }
}
