using Cordon.Evidence;
using System.Diagnostics;
using Azure.Storage.Blobs;
using Cordon.Adapters.Blob;

namespace Cordon.Tests.Connectors;

/// <summary>The Blob evidence store against Azurite: write-once items, manifest, custody chain, verifier.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class BlobEvidenceStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    const string Incident = "inc-0123456789ab-1";

    BlobContainerClient NewContainer() => new(azurite.ConnectionString, "ev-" + Guid.NewGuid().ToString("n")[..16]);

    static async Task<BlobEvidenceStore> StoreWithEvidenceAsync(BlobContainerClient container)
    {
        var store = new BlobEvidenceStore(container, TimeProvider.System);
        foreach (var (name, text) in new[] { ("alert-x.json", "{\"alertId\":\"x\"}"), ("indicators-x.json", "[{\"kind\":\"bribery-solicitation\"}]"), ("directory-x.json", "{\"upn\":\"ravi\"}") })
        {
            EvidenceItem item = await store.PutAsync(Incident, name, Encoding.UTF8.GetBytes(text), "application/json", default);
            await store.AppendCustodyAsync(Incident, "cordon/test", "collected " + name, item.Name, item.Sha256, default);
        }

        return store;
    }

    [Fact]
    public async Task Evidence_set_verifies_until_one_blob_is_overwritten_and_then_the_verifier_names_it()
    {
        BlobContainerClient container = NewContainer();
        BlobEvidenceStore store = await StoreWithEvidenceAsync(container);

        EvidenceVerification ok = await store.VerifyAsync(Incident, default);
        Assert.True(ok.Ok, ok.Detail);
        // Each item: the store's own "stored" entry with its hash, and the activity's "collected" entry.
        Assert.Equal((3, 6), (ok.ItemsChecked, ok.CustodyEntriesChecked));
        IReadOnlyList<BlobManifestEntry> manifest = await store.ManifestAsync(Incident, default);
        Assert.Equal(Cordon.Evidence.EvidenceChain.Sha256(Encoding.UTF8.GetBytes("{\"upn\":\"ravi\"}")), manifest.Single(m => m.Name == "directory-x.json").Sha256);
        // Azurite has no version-level immutability: the manifest says so rather than claiming a hold.
        Assert.All(manifest, m => Assert.StartsWith(BlobManifestEntry.NotEnforcedPrefix, m.Immutability, StringComparison.Ordinal));
        Assert.Contains("immutability not enforced", ok.Detail, StringComparison.Ordinal);

        await container.GetBlobClient(BlobEvidenceStore.ItemPath(Incident, "indicators-x.json")).UploadAsync(BinaryData.FromString("[]"), overwrite: true);

        EvidenceVerification tampered = await store.VerifyAsync(Incident, default);
        EvidenceAssert.Fails(tampered, "indicators-x.json", "does not match its manifest hash");
    }

    [Fact]
    public async Task Custody_chain_is_verified_and_an_edited_entry_is_named()
    {
        BlobContainerClient container = NewContainer();
        BlobEvidenceStore store = await StoreWithEvidenceAsync(container);
        BlobClient second = container.GetBlobClient($"{Incident}/custody/000002.json");
        string json = (await second.DownloadContentAsync()).Value.Content.ToString();

        await second.UploadAsync(BinaryData.FromString(json.Replace("cordon/test", "someone-else", StringComparison.Ordinal)), overwrite: true);

        EvidenceVerification result = await store.VerifyAsync(Incident, default);
        EvidenceAssert.Fails(result, "custody entry 2");
    }

    [Fact]
    public async Task A_rerun_finding_its_item_beside_an_unreadable_custody_entry_gets_the_item_and_verification_names_the_damage()
    {
        BlobContainerClient container = NewContainer();
        await StoreWithEvidenceAsync(container);
        await container.GetBlobClient($"{Incident}/custody/000002.json").UploadAsync(BinaryData.FromString("not json"), overwrite: true);
        var restarted = new BlobEvidenceStore(container, TimeProvider.System); // a new process: it knows no custody log yet

        Assert.Equal("{\"alertId\":\"x\"}", Encoding.UTF8.GetString((await restarted.FindAsync(Incident, "alert-x.json", "application/json", CustodyNote.ByStore, default))!));

        EvidenceAssert.Fails(await restarted.VerifyAsync(Incident, default), $"{Incident}/custody/000002.json");
    }

    [Fact]
    public async Task Deleting_an_item_and_its_manifest_entry_is_still_named_through_the_custody_log()
    {
        BlobContainerClient container = NewContainer();
        BlobEvidenceStore store = await StoreWithEvidenceAsync(container);

        await container.DeleteBlobAsync(BlobEvidenceStore.ItemPath(Incident, "alert-x.json"));
        await container.DeleteBlobAsync($"{Incident}/manifest/alert-x.json.json");

        EvidenceVerification result = await store.VerifyAsync(Incident, default);
        EvidenceAssert.Fails(result, "alert-x.json", "missing from the manifest");
    }

    /// <summary>
    /// As on the folder store (found by an attack there): a manifest entry naming a path is an item that is not there, not a
    /// thrown error (a 500 from the evidence API); the manifest and custody log deleted beside their items do not verify.
    /// </summary>
    [Fact]
    public async Task A_manifest_entry_naming_a_path_or_items_left_without_manifest_and_custody_fail_verification_naming_them()
    {
        BlobContainerClient container = NewContainer();
        BlobEvidenceStore store = await StoreWithEvidenceAsync(container);
        await container.GetBlobClient($"{Incident}/manifest/planted.json").UploadAsync(BinaryData.FromString(
            """{"name":"../../../etc/passwd","sha256":"00","length":1,"contentType":"x","storedAt":"2026-01-01T00:00:00Z","immutability":"legal-hold"}"""));

        EvidenceAssert.Fails(await store.VerifyAsync(Incident, default), "../../../etc/passwd");

        BlobContainerClient emptied = NewContainer();
        await StoreWithEvidenceAsync(emptied);
        await foreach (var blob in emptied.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{Incident}/", default))
        {
            if (!blob.Name.Contains("/items/", StringComparison.Ordinal))
            {
                await emptied.DeleteBlobAsync(blob.Name);
            }
        }

        EvidenceAssert.Fails(await new BlobEvidenceStore(emptied, TimeProvider.System).VerifyAsync(Incident, default), "alert-x.json", "has no manifest entry");
    }

    [Fact]
    public async Task Item_stored_with_a_note_has_one_custody_entry_saying_who_and_why_and_a_rerun_adds_none()
    {
        var store = new BlobEvidenceStore(NewContainer(), TimeProvider.System);
        var note = new CustodyNote("cordon/PreserveEvidence", "collected alert (initial alert)");

        EvidenceItem first = await store.PutAsync(Incident, "alert-a.json", Encoding.UTF8.GetBytes("{\"a\":1}"), "application/json", note, default);
        EvidenceItem again = await store.PutAsync(Incident, "alert-a.json", Encoding.UTF8.GetBytes("{\"a\":1}"), "application/json", note, default);

        Assert.Equal(first, again);
        // A second store, reading the log from storage: one entry, the item's hash on it.
        var reader = new BlobEvidenceStore(store.Container, TimeProvider.System);
        EvidenceVerification v = await reader.VerifyAsync(Incident, default);
        Assert.True(v.Ok, v.Detail);
        Assert.Equal((1, 1), (v.ItemsChecked, v.CustodyEntriesChecked));
        string entry = (await store.Container.GetBlobClient($"{Incident}/custody/000001.json").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("collected alert (initial alert)", entry, StringComparison.Ordinal);
        Assert.Contains(first.Sha256, entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rerunning_a_write_is_harmless_and_other_bytes_under_the_same_name_are_refused()
    {
        BlobContainerClient container = NewContainer();
        var store = new BlobEvidenceStore(container, TimeProvider.System);
        byte[] bytes = Encoding.UTF8.GetBytes("{\"a\":1}");

        EvidenceItem first = await store.PutAsync(Incident, "alert-a.json", bytes, "application/json", default);
        CustodyEntry entry = await store.AppendCustodyAsync(Incident, "cordon/test", "collected alert", first.Name, first.Sha256, default);
        // The activity runs again after a crash: same item, same custody action.
        EvidenceItem again = await store.PutAsync(Incident, "alert-a.json", bytes, "application/json", default);
        CustodyEntry entryAgain = await store.AppendCustodyAsync(Incident, "cordon/test", "collected alert", again.Name, again.Sha256, default);

        Assert.Equal(first, again);
        Assert.Equal(entry, entryAgain);
        Assert.Single(await store.ListAsync(Incident, default));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.PutAsync(Incident, "alert-a.json", Encoding.UTF8.GetBytes("{\"a\":2}"), "application/json", default));
        Assert.Contains("write-once", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await store.GetAsync(Incident, "alert-a.json", default));
        Assert.True((await store.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task Concurrent_custody_appends_form_one_unbroken_chain()
    {
        var store = new BlobEvidenceStore(NewContainer(), TimeProvider.System);

        CustodyEntry[] entries = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            store.AppendCustodyAsync(Incident, "cordon/test", $"step {i}", $"item-{i}", null, default)));

        Assert.Equal(Enumerable.Range(1, 8), entries.Select(e => e.Sequence).Order());
        EvidenceVerification result = await store.VerifyAsync(Incident, default);
        Assert.True(result.Ok, result.Detail);
        Assert.Equal(8, result.CustodyEntriesChecked);
    }

    [Fact]
    public async Task Two_instances_appending_to_one_log_keep_one_chain_and_a_retried_step_is_not_written_twice()
    {
        // Two hosts of the app over one container: each remembers the log as it last wrote it, so one is behind the other.
        BlobContainerClient container = NewContainer();
        var first = new BlobEvidenceStore(container, TimeProvider.System);
        var second = new BlobEvidenceStore(new BlobContainerClient(azurite.ConnectionString, container.Name), TimeProvider.System);

        await first.AppendCustodyAsync(Incident, "cordon/test", "step 1", "item-1", null, default);
        await second.AppendCustodyAsync(Incident, "cordon/test", "step 2", "item-2", null, default);
        CustodyEntry third = await first.AppendCustodyAsync(Incident, "cordon/test", "step 3", "item-3", null, default);
        CustodyEntry retried = await first.AppendCustodyAsync(Incident, "cordon/test", "step 2", "item-2", null, default);

        Assert.Equal(3, third.Sequence);
        Assert.Equal(2, retried.Sequence);
        EvidenceVerification result = await second.VerifyAsync(Incident, default);
        Assert.True(result.Ok, result.Detail);
        Assert.Equal(3, result.CustodyEntriesChecked);
        Assert.Equal(3, (await second.HeadAsync(Incident, default))!.Sequence);
    }

    [Fact]
    public async Task Verifying_an_unknown_incident_fails_naming_it()
    {
        var store = new BlobEvidenceStore(NewContainer(), TimeProvider.System);

        EvidenceVerification result = await store.VerifyAsync("inc-ffffffffffff-9", default);

        EvidenceAssert.Fails(result, "inc-ffffffffffff-9");
    }

    [Fact]
    public async Task Sample_incident_on_azurite_leaves_evidence_the_cli_verifies_and_a_tampered_item_fails_it_by_name()
    {
        string id;
        await using (TestHost host = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString))
        {
            (_, id, _) = await host.SendSampleAsync();
            await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation, seconds: 60);
            Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), "reject")).Status);
            await host.WaitForAsync(id, d => d.Stage == Stages.Closed && d.ReportName is not null, seconds: 120);
            Assert.False(Directory.Exists(Path.Combine(host.DataDir, "evidence", id)), "evidence went to the folder store instead of Azurite");
        }

        var (okCode, okOut) = await VerifyCliAsync(id);
        Assert.True(okCode == 0, okOut);
        Assert.StartsWith("OK:", okOut, StringComparison.Ordinal);

        var container = new BlobContainerClient(azurite.ConnectionString, LocalSettings.AzuriteEvidenceContainer);
        await container.GetBlobClient(BlobEvidenceStore.ItemPath(id, WriteIncidentReport.JsonName)).UploadAsync(BinaryData.FromString("{\"outcome\":\"nothing happened\"}"), overwrite: true);

        var (badCode, badOut) = await VerifyCliAsync(id);
        Assert.Equal(1, badCode);
        Assert.Contains($"FAILED: item {WriteIncidentReport.JsonName} does not match", badOut, StringComparison.Ordinal);
    }

    async Task<(int Code, string Output)> VerifyCliAsync(string incidentId)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "Cordon.Local.dll"), "evidence", "verify", incidentId, "--store", "azurite", azurite.ConnectionString })
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    [Theory]
    [InlineData("""<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/" ContainerName="evidence"></EnumerationResults>""")]
    [InlineData("""<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1/" ContainerName="evi""")]
    public async Task A_listing_the_storage_client_cannot_read_is_the_store_unavailable_not_a_crash(string listing)
    {
        // What the storage service answered (wire fake): a listing without its Blobs element (the client's own
        // NullReferenceException, Azure SDK #43350; intake answered 500 when Azurite did this under load), or cut off.
        var (app, url) = await LoopbackServer.StartAsync(async http =>
        {
            http.Response.ContentType = "application/xml";
            await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(http.Response, listing);
        });
        await using var _ = app;
        var store = new BlobEvidenceStore(new BlobContainerClient(new Uri($"{url}/devstoreaccount1/evidence"), new BlobClientOptions { Retry = { MaxRetries = 0 } }), TimeProvider.System);

        var failed = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => store.HeadAsync("inc-0123456789ab-1", default));

        Assert.Equal(0, failed.Status);
        Assert.True(Cordon.Alerts.StoreUnavailable.Matches(failed)); // intake and the API answer 503 with Retry-After
        Assert.Contains("evidence/", failed.Message, StringComparison.Ordinal);
    }
}
