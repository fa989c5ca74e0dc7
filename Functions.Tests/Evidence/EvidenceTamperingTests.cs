using Cordon.Local.Connectors;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Cordon.Adapters.Blob;
using Cordon.Evidence;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Evidence;

/// <summary>
/// Tampering an attacker with write access to the evidence store could try, on the folder store and on
/// Blob storage (Azurite): each must fail `evidence verify`, naming what does not match.
/// </summary>
[Collection(nameof(AzuriteCollection))]
public sealed class EvidenceTamperingTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    const string Incident = "inc-0123456789ab-1";
    const string Plan = "containment-plan.json";
    const string Batch = "offboarding-batch-00000.json";

    public static TheoryData<string> Stores => new() { "folder", "blob" };

    /// <summary>An evidence set as the activities leave it: collected items with their own custody entries, and records stored without one.</summary>
    async Task<Tamperable> EvidenceSetAsync(string kind)
    {
        Tamperable t = kind == "folder"
            ? new FolderTamper(new FolderEvidenceStore(Directory.CreateTempSubdirectory("cordon-evidence-").FullName, TimeProvider.System))
            : new BlobTamper(new BlobEvidenceStore(new BlobContainerClient(azurite.ConnectionString, "ev-" + Guid.NewGuid().ToString("n")[..16]), TimeProvider.System));
        foreach (var (name, text) in new[] { ("alert-x.json", "{\"alertId\":\"x\"}"), ("directory-x.json", "{\"upn\":\"ravi\"}") })
        {
            EvidenceItem item = await t.Store.PutAsync(Incident, name, Encoding.UTF8.GetBytes(text), "application/json", default);
            await t.Store.AppendCustodyAsync(Incident, "cordon/test", "collected " + name, item.Name, item.Sha256, default);
        }

        await t.Store.PutAsync(Incident, Plan, Encoding.UTF8.GetBytes("{\"wasEnabled\":true}"), "application/json", default);
        await t.Store.PutAsync(Incident, Batch, Encoding.UTF8.GetBytes("{\"revoked\":20}"), "application/json", default);
        EvidenceVerification ok = await t.Store.VerifyAsync(Incident, default);
        Assert.True(ok.Ok, ok.Detail);
        return t;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task An_item_a_stopped_run_left_without_its_custody_entry_is_completed_by_the_rerun_that_finds_it(string kind)
    {
        Tamperable t = await EvidenceSetAsync(kind);
        // A step stored its record and was killed before the custody entry (the store writes item, manifest, custody in turn).
        byte[] record = Encoding.UTF8.GetBytes("{\"containedAt\":\"2026-12-03T03:00:00Z\"}");
        await t.PlantAsync(Incident, "containment-1.json", record);
        EvidenceAssert.Fails(await t.Store.VerifyAsync(Incident, default), "containment-1.json", "no entry with its hash in the custody chain");

        // The rerun finds its record and relies on it, as the step does: the store completes what the stopped run left out.
        Assert.Equal(record, await t.Store.FindAsync(Incident, "containment-1.json", "application/json", CustodyNote.ByStore, default));
        EvidenceVerification ok = await t.Store.VerifyAsync(Incident, default);
        Assert.True(ok.Ok, ok.Detail);

        // Found again (another rerun), nothing more is written; an item never stored is not found.
        Assert.Equal(record, await t.Store.FindAsync(Incident, "containment-1.json", "application/json", CustodyNote.ByStore, default));
        Assert.Null(await t.Store.FindAsync(Incident, "containment-2.json", "application/json", CustodyNote.ByStore, default));
        Assert.Equal((ok.ItemsChecked, ok.CustodyEntriesChecked), ((await t.Store.VerifyAsync(Incident, default)) is var again ? (again.ItemsChecked, again.CustodyEntriesChecked) : default));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_planted_item_with_its_manifest_line_fails_verification(string kind)
    {
        Tamperable t = await EvidenceSetAsync(kind);

        await t.PlantAsync(Incident, "alert-planted.json", Encoding.UTF8.GetBytes("{\"alertId\":\"planted\"}"));

        EvidenceVerification result = await t.Store.VerifyAsync(Incident, default);
        EvidenceAssert.Fails(result, "alert-planted.json", "custody chain");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_consistent_rewrite_of_a_record_stored_without_its_own_custody_entry_fails_verification(string kind)
    {
        Tamperable t = await EvidenceSetAsync(kind);

        await t.RewriteAsync(Incident, Batch, Encoding.UTF8.GetBytes("{\"revoked\":0}"));

        EvidenceVerification result = await t.Store.VerifyAsync(Incident, default);
        EvidenceAssert.Fails(result, Batch);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Removing_the_last_custody_entries_with_their_item_fails_against_the_head_recorded_outside_the_store(string kind)
    {
        Tamperable t = await EvidenceSetAsync(kind);
        CustodyHead head = (await t.Store.HeadAsync(Incident, default))!;
        var recorded = new RecordedHead(head, "the closing event");
        Assert.True((await t.Store.VerifyAsync(Incident, recorded, default)).Ok);

        string removed = await t.RemoveLastItemAsync(Incident);

        Assert.Equal(Batch, removed);
        EvidenceVerification result = await t.Store.VerifyAsync(Incident, recorded, default);
        EvidenceAssert.Fails(result, $"custody entry {head.Sequence}", "cut short");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task An_item_planted_with_a_well_formed_custody_entry_fails_against_the_head_recorded_outside_the_store(string kind)
    {
        Tamperable t = await EvidenceSetAsync(kind);
        var recorded = new RecordedHead((await t.Store.HeadAsync(Incident, default))!, "the closing event");

        // Whoever can write to the store can also compute a valid next entry of an unkeyed chain.
        await t.Store.PutAsync(Incident, "alert-planted.json", Encoding.UTF8.GetBytes("{\"alertId\":\"planted\"}"), "application/json", default);

        Assert.True((await t.Store.VerifyAsync(Incident, default)).Ok);
        EvidenceVerification result = await t.Store.VerifyAsync(Incident, recorded, default);
        EvidenceAssert.Fails(result, "alert-planted.json", "added after the head");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_closed_incident_records_its_evidence_head_outside_the_store_and_verify_catches_a_cut_log_against_it(string kind)
    {
        var sender = new RecordingSender();
        StoreKind store = kind == "blob" ? StoreKind.Azurite : StoreKind.Memory;
        string id, dataDir;
        string taskHub = "tamper" + Guid.NewGuid().ToString("n")[..8];
        IncidentDetail detail;
        await using (TestHost host = await TestHost.StartAsync(store: store, storage: azurite.ConnectionString, taskHub: taskHub,
            configure: s => s.AddSingleton<ServiceBusSender>(sender)))
        {
            dataDir = host.DataDir;
            (_, id, _) = await host.SendSampleAsync();
            await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);
            Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Reject)).Status);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            OrchestrationMetadata done = await host.Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);
            detail = await host.IncidentAsync(id);

            // Recorded three times outside the store: the incident's status, its output and its closing event.
            Assert.NotNull(detail.EvidenceHead);
            Assert.Equal(detail.EvidenceHead, done.ReadOutputAs<IncidentResult>()!.EvidenceHead);
            ServiceBusMessage closed = sender.Sent.Single(m => (string)m.ApplicationProperties["event"] == LifecycleEvents.Closed);
            JsonElement data = JsonDocument.Parse(closed.Body.ToString()).RootElement.GetProperty("data");
            Assert.Equal(detail.EvidenceHead!.Hash, data.GetProperty("evidenceHead").GetProperty("hash").GetString());
            JsonElement manifest = await host.Http.GetFromJsonAsync<JsonElement>($"/api/incidents/{id}/evidence");
            Assert.True(manifest.GetProperty("verification").GetProperty("ok").GetBoolean(), manifest.ToString());
            Assert.Contains("head recorded", manifest.GetProperty("verification").GetProperty("detail").GetString(), StringComparison.Ordinal);

            // The CLI reads the head from the running host's incidents API, signed in as every other CLI command is.
            var (hostCode, hostOutput) = await VerifyCliAsync(id, new LocalSettings { DataDir = dataDir, Store = store, TaskHub = taskHub }, "--from-host", "--url", host.Host.BaseAddress.ToString());
            Assert.True(hostCode == 0, hostOutput);
            Assert.Contains($"the head recorded in incident {id} on {host.Host.BaseAddress}", hostOutput, StringComparison.Ordinal);
        }

        var settings = new LocalSettings { DataDir = dataDir, Store = store, StorageConnectionString = azurite.ConnectionString, TaskHub = taskHub };
        IEvidenceStore evidence = settings.EvidenceStore(TimeProvider.System);
        byte[] report = (await evidence.GetAsync(id, WriteIncidentReport.JsonName, default))!;
        string reportCopy = Path.Combine(dataDir, "report-copy.json");
        await File.WriteAllBytesAsync(reportCopy, report);
        string head = detail.EvidenceHead!.ToString();
        Assert.Equal(0, (await VerifyCliAsync(id, settings, "--head", head)).Code);
        Assert.Equal(0, (await VerifyCliAsync(id, settings, "--report", reportCopy)).Code);

        Tamperable t = kind == "blob" ? new BlobTamper((BlobEvidenceStore)evidence) : new FolderTamper((FolderEvidenceStore)evidence);
        string removed = await t.RemoveLastItemAsync(id);

        Assert.Equal(WriteIncidentReport.JsonName, removed);
        var (code, output) = await VerifyCliAsync(id, settings, "--head", head);
        Assert.True(code == 1, output);
        Assert.Contains("cut short", output, StringComparison.Ordinal);
        var (reportCode, reportOutput) = await VerifyCliAsync(id, settings, "--report", reportCopy);
        Assert.True(reportCode == 1, reportOutput);
    }

    async Task<(int Code, string Output)> VerifyCliAsync(string incidentId, LocalSettings settings, params string[] extra)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "Cordon.Local.dll"), "evidence", "verify", incidentId, "--data-dir", settings.DataDir, "--task-hub", settings.TaskHub };
        if (settings.Store == StoreKind.Azurite)
        {
            args.AddRange(["--store", "azurite", azurite.ConnectionString]);
        }

        args.AddRange(extra);
        args.ForEach(start.ArgumentList.Add);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>An evidence store and the raw edits someone with write access to its storage could make.</summary>
    abstract class Tamperable(IEvidenceStore store)
    {
        public IEvidenceStore Store { get; } = store;

        /// <summary>Adds an item and its manifest line, but no custody entry.</summary>
        public abstract Task PlantAsync(string incident, string name, byte[] content);

        /// <summary>Replaces an item's bytes and its manifest hash consistently.</summary>
        public abstract Task RewriteAsync(string incident, string name, byte[] content);

        /// <summary>Removes the newest item: its trailing custody entries, its manifest line and its bytes; returns its name.</summary>
        public abstract Task<string> RemoveLastItemAsync(string incident);
    }

    sealed class FolderTamper(FolderEvidenceStore store) : Tamperable(store)
    {
        string Dir(string incident) => Path.Combine(store.Root, incident);

        public override async Task PlantAsync(string incident, string name, byte[] content)
        {
            await File.WriteAllBytesAsync(store.ItemPath(incident, name), content);
            var line = new ManifestLine(name, EvidenceChain.Sha256(content), content.Length, "application/json", DateTimeOffset.UtcNow);
            await File.AppendAllTextAsync(Path.Combine(Dir(incident), "manifest.jsonl"), JsonSerializer.Serialize(line, CordonJson.Options) + "\n");
        }

        public override async Task RewriteAsync(string incident, string name, byte[] content)
        {
            string path = store.ItemPath(incident, name);
            File.SetAttributes(path, FileAttributes.Normal);
            await File.WriteAllBytesAsync(path, content);
            string manifest = Path.Combine(Dir(incident), "manifest.jsonl");
            var lines = (await File.ReadAllLinesAsync(manifest)).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ManifestLine>(l, CordonJson.Options)!)
                .Select(m => m.Name == name ? m with { Sha256 = EvidenceChain.Sha256(content), Length = content.Length } : m);
            await File.WriteAllLinesAsync(manifest, lines.Select(m => JsonSerializer.Serialize(m, CordonJson.Options)));
        }

        public override async Task<string> RemoveLastItemAsync(string incident)
        {
            string custody = Path.Combine(Dir(incident), "custody.jsonl");
            var entries = (await File.ReadAllLinesAsync(custody)).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CustodyEntry>(l, CordonJson.Options)!).ToList();
            string item = entries[^1].Item;
            int keep = entries.Count;
            while (keep > 0 && entries[keep - 1].Item == item)
            {
                keep--;
            }

            await File.WriteAllLinesAsync(custody, entries.Take(keep).Select(e => JsonSerializer.Serialize(e, CordonJson.Options)));
            string manifest = Path.Combine(Dir(incident), "manifest.jsonl");
            await File.WriteAllLinesAsync(manifest, (await File.ReadAllLinesAsync(manifest)).Where(l => l.Length > 0 && JsonSerializer.Deserialize<ManifestLine>(l, CordonJson.Options)!.Name != item));
            File.SetAttributes(store.ItemPath(incident, item), FileAttributes.Normal);
            File.Delete(store.ItemPath(incident, item));
            return item;
        }
    }

    sealed class BlobTamper(BlobEvidenceStore store) : Tamperable(store)
    {
        BlobContainerClient Container => store.Container;

        public override async Task PlantAsync(string incident, string name, byte[] content)
        {
            await Container.GetBlobClient(BlobEvidenceStore.ItemPath(incident, name)).UploadAsync(BinaryData.FromBytes(content), overwrite: true);
            var entry = new BlobManifestEntry(name, EvidenceChain.Sha256(content), content.Length, "application/json", DateTimeOffset.UtcNow, "not-enforced: test");
            await Container.GetBlobClient($"{incident}/manifest/{name}.json").UploadAsync(BinaryData.FromObjectAsJson(entry, CordonJson.Options), overwrite: true);
        }

        public override async Task RewriteAsync(string incident, string name, byte[] content)
        {
            await Container.GetBlobClient(BlobEvidenceStore.ItemPath(incident, name)).UploadAsync(BinaryData.FromBytes(content), overwrite: true);
            BlobClient manifest = Container.GetBlobClient($"{incident}/manifest/{name}.json");
            var entry = (await manifest.DownloadContentAsync()).Value.Content.ToObjectFromJson<BlobManifestEntry>(CordonJson.Options)!;
            await manifest.UploadAsync(BinaryData.FromObjectAsJson(entry with { Sha256 = EvidenceChain.Sha256(content), Length = content.Length }, CordonJson.Options), overwrite: true);
        }

        public override async Task<string> RemoveLastItemAsync(string incident)
        {
            var entries = new List<(string Blob, CustodyEntry Entry)>();
            await foreach (BlobItem b in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{incident}/custody/", default))
            {
                entries.Add((b.Name, (await Container.GetBlobClient(b.Name).DownloadContentAsync()).Value.Content.ToObjectFromJson<CustodyEntry>(CordonJson.Options)!));
            }

            entries = entries.OrderBy(e => e.Entry.Sequence).ToList();
            string item = entries[^1].Entry.Item;
            for (int i = entries.Count - 1; i >= 0 && entries[i].Entry.Item == item; i--)
            {
                await Container.DeleteBlobAsync(entries[i].Blob);
            }

            await Container.DeleteBlobAsync($"{incident}/manifest/{item}.json");
            await Container.DeleteBlobAsync(BlobEvidenceStore.ItemPath(incident, item));
            return item;
        }
    }
}
