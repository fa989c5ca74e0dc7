namespace Cordon.Tests.Cli;

/// <summary>
/// `evidence verify ID --store azurite` without a connection string: the host started with `--store azurite` runs a
/// private Azurite on free ports and writes its connection string into its data directory; verify reads it from the
/// same data directory. Without one, or with one whose Azurite has stopped, verify says so at once (exit 2) instead
/// of retrying for half a minute against the development default on port 10000, which may be someone else's Azurite.
/// </summary>
public sealed class PrivateAzuriteVerifyTests
{
    static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Without_a_connection_string_or_a_host_that_wrote_one_verify_fails_at_once_naming_what_to_pass()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-cli-").FullName;

        CordonCli.Run run = await CordonCli.RunAsync(Quick, "evidence", "verify", "inc-0123456789ab-1", "--store", "azurite", "--data-dir", dataDir);

        Assert.True(run.Code == 2, run.ToString());
        Assert.True(run.Took < TimeSpan.FromSeconds(15), run.ToString());
        Assert.Contains(Path.Combine(dataDir, "azurite", "connection-string"), run.Err, StringComparison.Ordinal);
        Assert.Contains("--store azurite \"", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("10000", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_left_by_a_host_that_has_stopped_fails_at_once_naming_the_endpoint()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-cli-").FullName;
        string blob = CordonCli.NoHost() + "/devstoreaccount1";
        Directory.CreateDirectory(Path.Combine(dataDir, "azurite"));
        await File.WriteAllTextAsync(Path.Combine(dataDir, "azurite", "connection-string"),
            LocalSettings.AzuriteDevelopment.Replace("http://127.0.0.1:10000/devstoreaccount1", blob, StringComparison.Ordinal));

        CordonCli.Run run = await CordonCli.RunAsync(Quick, "evidence", "verify", "inc-0123456789ab-1", "--store", "azurite", "--data-dir", dataDir);

        Assert.True(run.Code == 2, run.ToString());
        Assert.True(run.Took < TimeSpan.FromSeconds(15), run.ToString());
        Assert.Contains(blob, run.Err, StringComparison.Ordinal);
        Assert.Contains("does not answer", run.Err, StringComparison.Ordinal);
    }
}

/// <summary>The whole path, with the host's own private Azurite (three node processes; run alone, as the other Azurite tests).</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class PrivateAzuriteHostTests
{
    [Fact]
    public async Task Verify_finds_the_private_Azurite_of_the_host_running_on_the_same_data_directory()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-cli-").FullName;
        string hub = "cli" + Guid.NewGuid().ToString("n")[..8];
        using var host = new LocalHostProcess(dataDir, ["--store", "azurite", "--world", Repo.Path("samples/world.json"), "--task-hub", hub]);
        await host.StartAsync();

        string file = Path.Combine(dataDir, "azurite", "connection-string");
        Assert.True(File.Exists(file), host.Output);
        string blob = (await File.ReadAllTextAsync(file)).Split(';').Single(p => p.StartsWith("BlobEndpoint=", StringComparison.Ordinal))["BlobEndpoint=".Length..];
        // The start-up lines name the storage endpoint and where its connection string is.
        await Eventually.Until(() => host.Output, o => o.Contains(blob, StringComparison.Ordinal) && o.Contains(file, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the start-up lines to name the private Azurite");

        var (id, _) = await host.SendAsync(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")));
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 90);

        CordonCli.Run ok = await CordonCli.RunAsync(TimeSpan.FromSeconds(60), "evidence", "verify", id, "--store", "azurite", "--data-dir", dataDir, "--task-hub", hub);
        Assert.True(ok.Code == 0, ok + "\nhost output: " + host.Output);
        Assert.StartsWith("OK: ", ok.Out, StringComparison.Ordinal);

        // A host killed outright leaves the file behind with its Azurite gone: named at once.
        host.Kill();
        CordonCli.Run stale = await CordonCli.RunAsync(TimeSpan.FromSeconds(30), "evidence", "verify", id, "--store", "azurite", "--data-dir", dataDir, "--task-hub", hub);
        Assert.True(stale.Code == 2, stale.ToString());
        Assert.True(stale.Took < TimeSpan.FromSeconds(15), stale.ToString());
        Assert.Contains("does not answer", stale.Err, StringComparison.Ordinal);
    }
}
