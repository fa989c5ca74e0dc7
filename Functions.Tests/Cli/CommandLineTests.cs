namespace Cordon.Tests.Cli;

/// <summary>
/// The `cordon` command line as a user meets it: every command takes only its own options (a host option given to a
/// client command, an unknown option or a stray argument is named and refused, exit 2, before anything is sent or
/// started), and `--help` on any command prints that command's usage and does nothing else. Client commands here point
/// --url at a port nothing listens on, so a command that wrongly went ahead fails to connect (exit 3) instead of
/// reaching someone's host on 7071.
/// </summary>
public sealed class CommandLineTests
{
    static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    public static TheoryData<string[], string> Refused => new()
    {
        { ["incidents", "--urls", "http://127.0.0.1:1"], "--urls" },
        { ["incidents", "--store", "azurite"], "--store" },
        { ["incidents", "--page-of-everything"], "--page-of-everything" },
        { ["incidents", "stray"], "stray" },
        { ["incident", "inc-0123456789ab-1", "--data-dir", "somewhere"], "--data-dir" },
        { ["send", "samples/alerts/critical-bribery.json", "--store", "memory"], "--store" },
        { ["send", "samples/alerts/critical-bribery.json", "--world", "samples/world.json"], "--world" },
        { ["evidence", "verify", "inc-0123456789ab-1", "--urls", "http://127.0.0.1:1", "--from-host"], "--urls" },
        { ["evidence", "verify", "inc-0123456789ab-1", "--keep-time"], "--keep-time" },
        { ["simulate", "--agents", "1", "--hours", "1", "--bogus", "5"], "--bogus" },
        { ["simulate", "--agents", "1", "--hours", "1", "--store", "memory"], "--store" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_client_command_refuses_an_option_it_does_not_take_naming_it_before_doing_anything(string[] args, string named)
    {
        CordonCli.Run run = await CordonCli.RunAsync(Quick, [.. args, "--url", CordonCli.NoHost()]);

        Assert.True(run.Code == 2, run.ToString());
        Assert.Contains(named, run.Err, StringComparison.Ordinal);
        Assert.Contains("usage: cordon", run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("no Cordon host answers", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evidence_verify_refuses_url_without_from_host()
    {
        CordonCli.Run run = await CordonCli.RunAsync(Quick, "evidence", "verify", "inc-0123456789ab-1", "--data-dir", Directory.CreateTempSubdirectory("cordon-cli-").FullName,
            "--url", CordonCli.NoHost());

        Assert.True(run.Code == 2, run.ToString());
        Assert.Contains("--url", run.Err, StringComparison.Ordinal);
        Assert.Contains("--from-host", run.Err, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> Helps => new()
    {
        { ["simulate", "--help"], "usage: cordon simulate" },
        { ["simulate", "--agents", "1", "-h"], "usage: cordon simulate" },
        { ["send", "--help"], "usage: cordon send" },
        { ["incidents", "--help"], "usage: cordon incidents" },
        { ["incident", "--help"], "usage: cordon incident ID" },
        { ["evidence", "verify", "--help"], "usage: cordon evidence verify" },
        { ["serve", "--help"], "--store memory|azurite" },
        { ["bench", "behaviour", "--help"], "usage: cordon bench behaviour" },
        { ["help", "simulate"], "usage: cordon simulate" },
        { ["help", "evidence"], "usage: cordon evidence verify" },
        { ["--help"], "usage: cordon [command]" },
    };

    [Theory]
    [MemberData(nameof(Helps))]
    public async Task Help_on_a_command_prints_its_usage_and_exits_0_without_doing_anything(string[] args, string usage)
    {
        string[] line = args[0] is "serve" or "bench" or "--help" or "help" ? args : [.. args, "--url", CordonCli.NoHost()];

        CordonCli.Run run = await CordonCli.RunAsync(Quick, line);

        Assert.True(run.Code == 0, run.ToString());
        Assert.Contains(usage, run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Feeding simulated telemetry", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Cordon local host on", run.Output, StringComparison.Ordinal);
    }
}
