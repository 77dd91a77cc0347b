using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Isolated.Net.Analyzers;

// Where a piece of code runs: inside a lambda given to NetworkNamespace/NetHost Run or RunAsync, or in the
// body of a test the adapters run on a namespace thread. Attributes are matched by full name, so the
// analyzer needs no reference to the adapters.
internal sealed class NamespaceScope
{
    private NamespaceScope(string? factoryReceiver) => FactoryReceiver = factoryReceiver;

    // C# text of an expression whose CreateHttpClient()/CreateHttpMessageHandler() give the namespace's
    // own clients (the Run receiver, or the adapter's NetTestContext), or null when none is known.
    public string? FactoryReceiver { get; }

    public static NamespaceScope? Find(SyntaxNode node, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case AnonymousFunctionExpressionSyntax lambda when RunReceiver(lambda, model, cancellationToken) is { } receiver:
                    return new NamespaceScope(SimpleText(receiver));
                case MethodDeclarationSyntax method:
                    return model.GetDeclaredSymbol(method, cancellationToken) is { } symbol ? FromTestMethod(symbol, model.Compilation) : null;
                case BaseTypeDeclarationSyntax:
                    return null;
            }
        }
        return null;
    }

    // The receiver of `receiver.Run(lambda)` / `RunAsync(lambda)` on NetworkNamespace or NetHost.
    private static ExpressionSyntax? RunReceiver(AnonymousFunctionExpressionSyntax lambda, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        if (lambda.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
            || invocation.Expression is not MemberAccessExpressionSyntax access
            || access.Name.Identifier.ValueText is not ("Run" or "RunAsync"))
        {
            return null;
        }
        return model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method && IsNamespaceOwner(method.ContainingType)
            ? access.Expression
            : null;
    }

    public static bool IsNamespaceOwner(ITypeSymbol? type) =>
        type is not null && FullName(type) is "Isolated.Net.NetworkNamespace" or "Isolated.Net.NetHost";

    private static NamespaceScope? FromTestMethod(IMethodSymbol method, Compilation compilation)
    {
        if (method.GetAttributes().Any(a => Is(a.AttributeClass, "Isolated.Net.Xunit.NetFactAttribute", "Isolated.Net.Xunit.NetTheoryAttribute")))
        {
            return ForAdapter(compilation, "Isolated.Net.Xunit.NetTestContext");
        }
        bool nunit = method.GetAttributes().Any(a => Is(a.AttributeClass, "Isolated.Net.NUnit.NetworkIsolatedAttribute"))
            || (IsNUnitTest(method) && (HasNetworkIsolated(method.ContainingType) || compilation.Assembly.GetAttributes().Any(a => Is(a.AttributeClass, "Isolated.Net.NUnit.NetworkIsolatedAttribute"))));
        return nunit ? ForAdapter(compilation, "Isolated.Net.NUnit.NetTestContext") : null;
    }

    private static NamespaceScope ForAdapter(Compilation compilation, string contextType) =>
        new(compilation.GetTypeByMetadataName(contextType) is null ? null : contextType + ".Namespace!");

    private static bool HasNetworkIsolated(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.GetAttributes().Any(a => Is(a.AttributeClass, "Isolated.Net.NUnit.NetworkIsolatedAttribute")))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsNUnitTest(IMethodSymbol method) =>
        method.GetAttributes().Any(a => a.AttributeClass is { } c && c.ContainingNamespace?.ToDisplayString() == "NUnit.Framework"
            && c.Name is "TestAttribute" or "TestCaseAttribute" or "TestCaseSourceAttribute" or "TheoryAttribute");

    // The attribute or one derived from it (the adapters' attributes are unsealed).
    private static bool Is(INamedTypeSymbol? attribute, params string[] fullNames)
    {
        for (var type = attribute; type is not null; type = type.BaseType)
        {
            if (fullNames.Contains(FullName(type)))
            {
                return true;
            }
        }
        return false;
    }

    public static string FullName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty);

    // A receiver safe to repeat in a code fix: names, member and indexer access with constant arguments.
    private static string? SimpleText(ExpressionSyntax expression) => IsSimple(expression) ? expression.WithoutTrivia().ToString() : null;

    private static bool IsSimple(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax m => IsSimple(m.Expression),
        PostfixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.SuppressNullableWarningExpression) => IsSimple(p.Operand),
        ElementAccessExpressionSyntax e => IsSimple(e.Expression) && e.ArgumentList.Arguments.All(a => a.Expression is LiteralExpressionSyntax),
        ParenthesizedExpressionSyntax p => IsSimple(p.Expression),
        _ => false,
    };
}
