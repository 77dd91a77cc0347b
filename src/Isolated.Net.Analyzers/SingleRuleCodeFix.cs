using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Isolated.Net.Analyzers;

/// <summary>A code fix for one rule, fixable across a document, project or solution in one batch.</summary>
public abstract class SingleRuleCodeFix : CodeFixProvider
{
    private protected SingleRuleCodeFix(string ruleId) => FixableDiagnosticIds = ImmutableArray.Create(ruleId);

    /// <inheritdoc/>
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;
}
