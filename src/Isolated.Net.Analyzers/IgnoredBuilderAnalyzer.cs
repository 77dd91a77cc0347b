using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Isolated.Net.Analyzers;

/// <summary>ISONET001: a statement that calls an immutable builder's method and drops the new builder.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class IgnoredBuilderAnalyzer : DiagnosticAnalyzer
{
    // Our builders whose methods return a new instance and leave the receiver unchanged.
    private static readonly ImmutableHashSet<string> s_immutableBuilders = ImmutableHashSet.Create("Isolated.Net.TopologyBuilder");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rules.IgnoredBuilder);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.ExpressionStatement);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var statement = (IExpressionStatementOperation)context.Operation;
        var value = statement.Operation;
        while (value is IConditionalAccessOperation conditional)
        {
            value = conditional.WhenNotNull;
        }
        if (value is IInvocationOperation { TargetMethod: { IsStatic: false } method }
            && IsImmutableBuilder(method.ContainingType)
            && SymbolEqualityComparer.Default.Equals(method.ReturnType, method.ContainingType))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rules.IgnoredBuilder, statement.Operation.Syntax.GetLocation(), method.Name, method.ContainingType.Name));
        }
    }

    internal static bool IsImmutableBuilder(ITypeSymbol? type) => type is not null && s_immutableBuilders.Contains(NamespaceScope.FullName(type));
}
