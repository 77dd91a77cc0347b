using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Isolated.Net.Analyzers;

/// <summary>
/// ISONET002–005: inside a namespace body (a Run/RunAsync lambda of NetworkNamespace or NetHost, or a
/// [NetFact]/[NetTheory]/[NetworkIsolated] test), code that README's thread rule says leaves the namespace.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NamespaceEscapeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the expression whose factories the code fix calls.</summary>
    internal const string ReceiverProperty = "Receiver";

    /// <summary>Diagnostic property: the factory method the code fix calls.</summary>
    internal const string FactoryProperty = "Factory";

    // Static methods that hand a delegate to another thread, by containing type.
    private static readonly ImmutableDictionary<string, ImmutableHashSet<string>> s_offThreadMethods = new Dictionary<string, ImmutableHashSet<string>>
    {
        ["System.Threading.Tasks.Task"] = ImmutableHashSet.Create("Run"),
        ["System.Threading.Tasks.TaskFactory"] = ImmutableHashSet.Create("StartNew"),
        ["System.Threading.Tasks.TaskFactory<TResult>"] = ImmutableHashSet.Create("StartNew"),
        ["System.Threading.ThreadPool"] = ImmutableHashSet.Create("QueueUserWorkItem", "UnsafeQueueUserWorkItem", "RegisterWaitForSingleObject", "UnsafeRegisterWaitForSingleObject", "UnsafeQueueNativeOverlapped"),
        ["System.Threading.Tasks.Parallel"] = ImmutableHashSet.Create("For", "ForEach", "Invoke", "ForAsync", "ForEachAsync"),
    }.ToImmutableDictionary();

    private static readonly ImmutableHashSet<string> s_offThreadTypes = ImmutableHashSet.Create("System.Threading.Thread", "System.Threading.Timer", "System.Timers.Timer");

    private static readonly ImmutableDictionary<string, string> s_httpTypes = new Dictionary<string, string>
    {
        ["System.Net.Http.HttpClient"] = "CreateHttpClient",
        ["System.Net.Http.SocketsHttpHandler"] = "CreateHttpMessageHandler",
        ["System.Net.Http.HttpClientHandler"] = "CreateHttpMessageHandler",
    }.ToImmutableDictionary();

    private static readonly ImmutableHashSet<string> s_asyncDnsMethods = ImmutableHashSet.Create(
        "GetHostAddressesAsync", "GetHostEntryAsync", "BeginGetHostAddresses", "BeginGetHostEntry", "BeginResolve");

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        ImmutableArray.Create(Rules.WorkLeavesNamespace, Rules.ConfigureAwaitFalse, Rules.RootHttpClient, Rules.RootDnsLookup);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
        context.RegisterOperationAction(AnalyzeCreation, OperationKind.ObjectCreation);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var type = NamespaceScope.FullName(method.ContainingType.OriginalDefinition);
        Diagnostic? diagnostic = null;
        if (s_offThreadMethods.TryGetValue(type, out var names) && names.Contains(method.Name))
        {
            diagnostic = Diagnostic.Create(Rules.WorkLeavesNamespace, invocation.Syntax.GetLocation(), method.ContainingType.Name + "." + method.Name);
        }
        else if (method.Name == "ConfigureAwait" && LeavesContext(invocation) is { } argument)
        {
            diagnostic = Diagnostic.Create(Rules.ConfigureAwaitFalse, CallLocation(invocation.Syntax), argument);
        }
        else if (type == "System.Net.Dns" && s_asyncDnsMethods.Contains(method.Name))
        {
            diagnostic = Diagnostic.Create(Rules.RootDnsLookup, invocation.Syntax.GetLocation(), method.Name);
        }
        if (diagnostic is not null && InNamespaceBody(context) is not null)
        {
            context.ReportDiagnostic(diagnostic);
        }
    }

    private static void AnalyzeCreation(OperationAnalysisContext context)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (creation.Type is not { } type)
        {
            return;
        }
        var name = NamespaceScope.FullName(type);
        if (s_offThreadTypes.Contains(name))
        {
            if (InNamespaceBody(context) is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(Rules.WorkLeavesNamespace, creation.Syntax.GetLocation(), "new " + type.Name));
            }
            return;
        }
        // new HttpClient(handler) is as good as its handler: only the parameterless one is the root namespace's
        // for sure; a handler made here is reported where it is made.
        if (!s_httpTypes.TryGetValue(name, out var factory) || !creation.Arguments.IsEmpty || InNamespaceBody(context) is not { } scope)
        {
            return;
        }
        var properties = ImmutableDictionary<string, string?>.Empty.Add(FactoryProperty, factory);
        string suggestion = scope.FactoryReceiver is { } receiver
            ? $"{receiver}.{factory}()"
            : $"the namespace's or host's {factory}()";
        if (scope.FactoryReceiver is not null)
        {
            properties = properties.Add(ReceiverProperty, scope.FactoryReceiver);
        }
        context.ReportDiagnostic(Diagnostic.Create(Rules.RootHttpClient, creation.Syntax.GetLocation(), properties, type.Name, suggestion));
    }

    // `ConfigureAwait(false)` of `task.ConfigureAwait(false)`: the call, not the awaited expression.
    private static Location CallLocation(SyntaxNode syntax) =>
        syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation
            ? Location.Create(invocation.SyntaxTree, TextSpan.FromBounds(access.Name.SpanStart, invocation.Span.End))
            : syntax.GetLocation();

    // "false", or a ConfigureAwaitOptions constant without ContinueOnCapturedContext; null when the call keeps the context.
    private static string? LeavesContext(IInvocationOperation invocation)
    {
        if (invocation.Arguments.Length != 1 || invocation.Arguments[0].Value is not { ConstantValue.HasValue: true } value)
        {
            return null;
        }
        return value.ConstantValue.Value switch
        {
            false => "false",
            int options when value.Type is { Name: "ConfigureAwaitOptions" } && (options & 1) == 0 => invocation.Arguments[0].Syntax.ToString(),
            _ => null,
        };
    }

    private static NamespaceScope? InNamespaceBody(OperationAnalysisContext context) =>
        context.Operation.SemanticModel is { } model ? NamespaceScope.Find(context.Operation.Syntax, model, context.CancellationToken) : null;
}
