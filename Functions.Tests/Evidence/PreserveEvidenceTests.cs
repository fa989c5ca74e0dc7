using System.Text.Json;
using Cordon.Access;
using Cordon.Alerts;
using Cordon.Evidence;
using Cordon.Local.Connectors;

namespace Cordon.Tests.Evidence;

/// <summary>What preserving an alert puts into the incident's evidence.</summary>
[Trait("Category", "Unit")]
public sealed class PreserveEvidenceTests
{
    [Fact]
    public async Task An_alert_is_kept_as_one_item_with_its_indicators_and_references_beside_the_directory_record()
    {
        string dir = Directory.CreateTempSubdirectory("cordon-preserve-").FullName;
        var evidence = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var directory = new SimulatedDirectory(WorldModel.Load(Repo.Path("samples/world.json")), null, TimeProvider.System);
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        Assert.NotEmpty(alert.Indicators);
        Assert.NotEmpty(alert.Evidence);

        EvidenceSummary summary = await new PreserveEvidence(evidence, directory)
            .RunAsync(ActivityContexts.For(nameof(PreserveEvidence)), new PreserveRequest("inc-0123456789ab-1", alert, "initial alert"));

        // Two items, not four: the indicators and the producer's references are stored once, inside the alert.
        Assert.Equal([EvidenceNames.AlertItem(alert.Source, alert.AlertId), $"directory-{EvidenceNames.ForAlert(alert.Source, alert.AlertId)}.json"], summary.Names);
        var kept = JsonSerializer.Deserialize<RiskAlert>((await evidence.GetAsync("inc-0123456789ab-1", summary.Names[0], default))!, CordonJson.Options)!;
        Assert.Equal(alert.Indicators.Select(i => (i.Kind, i.Detail)), kept.Indicators.Select(i => (i.Kind, i.Detail)));
        Assert.Equal(alert.Evidence.Select(e => (e.Uri, e.Sha256)), kept.Evidence.Select(e => (e.Uri, e.Sha256)));
        EvidenceVerification verified = await evidence.VerifyAsync("inc-0123456789ab-1", default);
        Assert.True(verified.Ok, verified.Detail);
        Assert.Equal(2, verified.CustodyEntriesChecked);
    }
}
