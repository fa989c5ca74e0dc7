using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Dependencies;
using ArchUnitNET.Loader;

namespace Cordon.Tests.Architecture;

/// <summary>
/// The direction of dependencies, read from the compiled assemblies (ArchUnitNET loads them): the world model at
/// the bottom, features above it with no cycle between them, the workflow (Incidents, Intake) and the read side
/// (Monitoring) above the features, adapters behind the features' ports, hosts on top. Each rule is also run on a
/// planted violation (types under Cordon.Tests.Architecture.Planted) and must fail there.
/// </summary>
[Trait("Category", "Architecture")]
public sealed class DependencyRulesTests
{
    /// <summary>Feature namespaces: activities and rules over contracts and ports.</summary>
    static readonly string[] Features =
        ["Access", "Alerts", "Approvals", "Behaviour", "Configuration", "Containment", "Evidence", "Notification", "Offboarding", "Operators", "Policy", "Roster"];

    static readonly Lazy<NamespaceGraph> Product = new(() => NamespaceGraph.Load("Cordon", typeof(Cordon.World.WorldModel).Assembly));

    static readonly Lazy<NamespaceGraph> Planted = new(() => NamespaceGraph.Load("Cordon.Tests.Architecture.Planted", typeof(DependencyRulesTests).Assembly));

    [Fact]
    public void Feature_namespaces_have_no_cycle_between_them() =>
        Assert.Empty(Product.Value.Cycles(Features));

    [Fact]
    public void Workflow_and_feature_code_never_references_a_concrete_adapter()
    {
        string[] offenders = Product.Value.Referencing("Adapters", except: ["Adapters"]);
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_world_model_references_no_other_Cordon_namespace() =>
        Assert.Empty(Product.Value.ReferencesOf("World"));

    [Fact]
    public void Features_never_reference_the_hosts_registration() =>
        Assert.Empty(Product.Value.FeaturesReferencingRoot(Features));

    /// <summary>
    /// The frozen v1 workflow (Incidents.V1) is a leaf: only the hosts' registration names it. Anything else that used
    /// its types would tie current code to a version that may never change.
    /// </summary>
    [Fact]
    public void Nothing_but_the_registration_depends_on_the_frozen_v1_workflow() =>
        Assert.Empty(Product.Value.DependentsOf("Incidents.V1", except: [""]));

    // The same rules go red on planted violations.

    [Fact]
    public void Cycle_rule_finds_a_planted_cycle_between_two_features()
    {
        IReadOnlyList<string> cycles = Planted.Value.Cycles(["FeatureA", "FeatureB", "FeatureC"]);
        Assert.Equal(["FeatureA -> FeatureB -> FeatureA"], cycles);
    }

    [Fact]
    public void Adapter_rule_finds_a_planted_feature_that_uses_a_concrete_adapter() =>
        Assert.Equal(["FeatureC"], Planted.Value.Referencing("Adapters", except: ["Adapters"]));

    [Fact]
    public void Hosts_rule_finds_a_planted_feature_that_references_the_registration() =>
        Assert.Equal(["FeatureB"], Planted.Value.FeaturesReferencingRoot(["FeatureA", "FeatureB", "FeatureC"]));

    [Fact]
    public void Bottom_rule_finds_a_planted_world_that_references_a_feature() =>
        Assert.Equal(["FeatureA"], Planted.Value.ReferencesOf("World"));

    [Fact]
    public void Frozen_version_rule_finds_planted_workflow_code_that_uses_the_frozen_version() =>
        Assert.Equal(["Incidents"], Planted.Value.DependentsOf("Incidents.V1", except: [""]));

    /// <summary>Namespace-level dependencies between the second-level namespaces under a root (Cordon.X.Y → X).</summary>
    sealed class NamespaceGraph
    {
        public required IReadOnlyList<(string From, string To)> Edges { get; init; }

        /// <summary>The same dependencies between full namespaces under the root ("Incidents.V1" → "Incidents").</summary>
        public required IReadOnlyList<(string From, string To)> FullEdges { get; init; }

        public static NamespaceGraph Load(string root, System.Reflection.Assembly assembly)
        {
            ArchUnitNET.Domain.Architecture architecture = new ArchLoader().LoadAssemblies(assembly).Build();
            var edges = new HashSet<(string, string)>();
            var fullEdges = new HashSet<(string, string)>();
            foreach (IType type in architecture.Types)
            {
                string? fromFull = type.Namespace?.FullName is { } ns ? Relative(root, ns) : null;
                if (fromFull is null)
                {
                    continue;
                }

                foreach (ITypeDependency dependency in type.Dependencies)
                {
                    string? toFull = dependency.Target?.Namespace?.FullName is { } target ? Relative(root, target) : null;
                    if (toFull is not null && toFull != fromFull)
                    {
                        fullEdges.Add((fromFull, toFull));
                        if (Top(fromFull) != Top(toFull))
                        {
                            edges.Add((Top(fromFull), Top(toFull)));
                        }
                    }
                }
            }

            return new NamespaceGraph { Edges = Sorted(edges), FullEdges = Sorted(fullEdges) };
        }

        static List<(string, string)> Sorted(HashSet<(string, string)> edges) =>
            [.. edges.OrderBy(e => e.Item1, StringComparer.Ordinal).ThenBy(e => e.Item2, StringComparer.Ordinal)];

        /// <summary>"Cordon.Adapters.Graph" → "Adapters.Graph"; the root itself → ""; outside the root → null.</summary>
        static string? Relative(string root, string ns) =>
            ns == root ? "" : ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..] : null;

        /// <summary>"Adapters.Graph" → "Adapters".</summary>
        static string Top(string relative) => relative.Split('.')[0];

        static bool Within(string relative, string ns) => relative == ns || relative.StartsWith(ns + ".", StringComparison.Ordinal);

        /// <summary>Namespaces outside <paramref name="frozen"/> (and other than <paramref name="except"/>) that depend on it.</summary>
        public string[] DependentsOf(string frozen, string[] except) =>
            [.. FullEdges.Where(e => Within(e.To, frozen) && !Within(e.From, frozen) && !except.Contains(e.From)).Select(e => e.From).Distinct()];

        /// <summary>Every elementary cycle among the given namespaces, each written from its smallest name.</summary>
        public IReadOnlyList<string> Cycles(IReadOnlyCollection<string> among)
        {
            var next = Edges.Where(e => among.Contains(e.From) && among.Contains(e.To)).ToLookup(e => e.From, e => e.To);
            var found = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string start in among.Order(StringComparer.Ordinal))
            {
                var path = new List<string> { start };
                void Walk(string at)
                {
                    foreach (string to in next[at])
                    {
                        if (to == start)
                        {
                            found.Add(string.Join(" -> ", path.Append(start)));
                        }
                        else if (string.CompareOrdinal(to, start) > 0 && !path.Contains(to))
                        {
                            path.Add(to);
                            Walk(to);
                            path.RemoveAt(path.Count - 1);
                        }
                    }
                }

                Walk(start);
            }

            return [.. found];
        }

        /// <summary>Namespaces (other than <paramref name="except"/>) that depend on <paramref name="target"/>.</summary>
        public string[] Referencing(string target, string[] except) =>
            [.. Edges.Where(e => e.To == target && !except.Contains(e.From) && e.From is not "").Select(e => e.From).Distinct()];

        /// <summary>Features that use the root namespace (the hosts' composition: CordonTasks, AddCordon...).</summary>
        public string[] FeaturesReferencingRoot(IReadOnlyCollection<string> features) =>
            [.. Edges.Where(e => features.Contains(e.From) && e.To.Length == 0).Select(e => e.From).Distinct()];

        public string[] ReferencesOf(string from) => [.. Edges.Where(e => e.From == from).Select(e => e.To.Length == 0 ? "Cordon" : e.To)];
    }
}
