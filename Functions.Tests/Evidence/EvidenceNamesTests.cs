using Cordon.Evidence;
using Cordon.Local.Connectors;

namespace Cordon.Tests.Evidence;

/// <summary>Two alerts merged into one incident each keep their own evidence, whatever their ids look like.</summary>
[Trait("Category", "Unit")]
public sealed class EvidenceNamesTests
{
    const string Incident = "inc-0123456789ab-1";

    static RiskAlert Sample(string source, string alertId) =>
        AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert! with { Source = source, AlertId = alertId };

    static async Task<(FolderEvidenceStore Store, EvidenceSummary First, EvidenceSummary Second)> PreserveBothAsync(RiskAlert first, RiskAlert second)
    {
        var store = new FolderEvidenceStore(Directory.CreateTempSubdirectory("cordon-evidence-").FullName, TimeProvider.System);
        var directory = new SimulatedDirectory(WorldModel.Load(Repo.Path("samples/world.json")), null, TimeProvider.System);
        var activity = new PreserveEvidence(store, directory);
        EvidenceSummary a = await activity.Run(new PreserveRequest(Incident, first, "initial alert"));
        EvidenceSummary b = await activity.Run(new PreserveRequest(Incident, second, "merged alert"));
        return (store, a, b);
    }

    [Theory]
    [InlineData("purview-irm", "case/0001", "purview-irm", "case:0001")]
    [InlineData("purview-irm", "case 0001", "purview-irm", "case_0001")]
    [InlineData("custom", "a-1", "custom-a", "1")]
    public async Task Alerts_whose_ids_differ_only_in_unsafe_characters_each_keep_their_own_evidence(string source1, string id1, string source2, string id2)
    {
        var (store, first, second) = await PreserveBothAsync(Sample(source1, id1), Sample(source2, id2));

        Assert.Empty(first.Names.Intersect(second.Names));
        string firstAlert = Encoding.UTF8.GetString((await store.GetAsync(Incident, first.Names[0], default))!);
        string secondAlert = Encoding.UTF8.GetString((await store.GetAsync(Incident, second.Names[0], default))!);
        Assert.Contains(System.Text.Json.JsonSerializer.Serialize(id1), firstAlert, StringComparison.Ordinal);
        Assert.Contains(System.Text.Json.JsonSerializer.Serialize(id2), secondAlert, StringComparison.Ordinal);
        Assert.True((await store.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task Two_alerts_from_120_character_sources_each_keep_their_own_evidence_under_a_readable_bounded_name()
    {
        string source = new('s', 120);

        var (store, first, second) = await PreserveBothAsync(Sample(source, "alert-1"), Sample(source, "alert-2"));

        Assert.Empty(first.Names.Intersect(second.Names));
        Assert.Equal(4, (await store.ListAsync(Incident, default)).Count); // each alert and its directory record
        Assert.All(first.Names.Concat(second.Names), n => Assert.InRange(n.Length, 1, 100));
        Assert.StartsWith("alert-ssss", first.Names[0], StringComparison.Ordinal);
        Assert.Contains("\"alert-2\"", Encoding.UTF8.GetString((await store.GetAsync(Incident, second.Names[0], default))!), StringComparison.Ordinal);
    }
}
