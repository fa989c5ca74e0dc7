namespace Cordon.Tests.Cli;

/// <summary>The host's start-up lines tell the user how to reach it: on another address than the default, with --url.</summary>
public sealed class ServeHintTests
{
    [Fact]
    public async Task A_host_on_another_port_prints_the_send_hint_with_url_of_its_address()
    {
        using var host = new LocalHostProcess(Directory.CreateTempSubdirectory("cordon-cli-").FullName, ["--world", Repo.Path("samples/world.json")]);
        await host.StartAsync();

        await Eventually.Until(() => host.Output, o => o.Contains("./cordon send ", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the start-up lines");
        Assert.Contains($"./cordon send samples/alerts/critical-bribery.json --url http://127.0.0.1:{host.Port} ", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signing_key_that_cannot_sign_stops_the_host_naming_the_setting_without_a_stack_trace()
    {
        // A newcomer found the refusal printed as "Unhandled exception" with a stack trace and exit 134 (SIGABRT).
        string data = Directory.CreateTempSubdirectory("cordon-cli-").FullName;
        CordonCli.Run run = await CordonCli.RunAsync(TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["Cordon__Approvals__SigningKey"] = "c2hvcnQ=" },
            "--urls", CordonCli.NoHost(), "--data-dir", data);

        Assert.False(run.TimedOut, run.ToString());
        Assert.Equal(2, run.Code);
        Assert.Contains("error: ", run.Err, StringComparison.Ordinal);
        Assert.Contains("Cordon:Approvals:SigningKey", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.Ordinal);
    }
}
