using System.Text;
using Cordon.Evidence;
using Cordon.Local.Connectors;

namespace Cordon.Tests.Evidence;

/// <summary>
/// A damaged evidence folder is named by verification, never thrown (found by an attack: a custody line cut short answered
/// the evidence API with a 500 and the CLI with a raw JSON error; the manifest and custody log deleted beside their items
/// verified as "0 items").
/// </summary>
[Trait("Category", "Unit")]
public sealed class FolderEvidenceDamageTests
{
    const string Incident = "inc-0123456789ab-1";

    static async Task<(FolderEvidenceStore Store, string Dir)> TwoItemsAsync()
    {
        var store = new FolderEvidenceStore(Directory.CreateTempSubdirectory("cordon-evidence-").FullName, TimeProvider.System);
        foreach (var (name, text) in new[] { ("alert-x.json", "{\"alertId\":\"x\"}"), ("directory-x.json", "{\"upn\":\"ravi\"}") })
        {
            await store.PutAsync(Incident, name, Encoding.UTF8.GetBytes(text), "application/json", new CustodyNote("cordon/test", "collected " + name), default);
        }

        Assert.True((await store.VerifyAsync(Incident, default)).Ok);
        return (store, Path.Combine(store.Root, Incident));
    }

    [Theory]
    [InlineData("cut", "custody.jsonl line 2 is not an entry")]
    [InlineData("null", "custody.jsonl line 3 is null")]
    [InlineData("path", "../../../etc/passwd")]
    [InlineData("deleted", "on no manifest line")]
    public async Task A_damaged_folder_fails_verification_naming_the_damage(string damage, string named)
    {
        var (store, dir) = await TwoItemsAsync();
        string custody = Path.Combine(dir, "custody.jsonl"), manifest = Path.Combine(dir, "manifest.jsonl");
        switch (damage)
        {
            case "cut":
                string text = await File.ReadAllTextAsync(custody);
                await File.WriteAllTextAsync(custody, text[..^20] + "\n");
                break;
            case "null":
                await File.AppendAllTextAsync(custody, "null\n");
                break;
            case "path":
                await File.AppendAllTextAsync(manifest, "{\"name\":\"../../../etc/passwd\",\"sha256\":\"00\",\"length\":1,\"contentType\":\"x\",\"storedAt\":\"2026-01-01T00:00:00Z\"}\n");
                break;
            default:
                File.Delete(manifest);
                File.Delete(custody);
                break;
        }

        EvidenceVerification result = await store.VerifyAsync(Incident, default);

        Assert.False(result.Ok);
        Assert.Contains(named, result.FirstMismatch + " " + result.Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// An item whose step stopped after writing it and before its manifest line (the step reruns and adds the line) is not
    /// tampering (found by an attack on the first version of the check above, which called it that).
    /// </summary>
    [Fact]
    public async Task An_item_written_before_its_manifest_line_still_verifies()
    {
        var (store, dir) = await TwoItemsAsync();
        await File.WriteAllTextAsync(Path.Combine(dir, "items", "report-x.json"), "{}");

        EvidenceVerification result = await store.VerifyAsync(Incident, default);

        Assert.True(result.Ok, result.Detail);
    }
}

