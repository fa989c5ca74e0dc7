using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cordon.Tests.Cli;

/// <summary>
/// `incidents` against a host with more than one page (a fake incidents API answering pages of 100 with the real API's
/// <c>Link: &lt;…&gt;; rel="next"</c>): it says the list was cut and how to get the rest; `--all` follows the links.
/// </summary>
public sealed class IncidentPagingTests
{
    static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Incidents_says_when_the_host_has_more_than_the_first_page_and_all_follows_the_next_links()
    {
        var requests = new List<string>();
        (WebApplication app, string baseUrl) = await LoopbackServer.StartAsync(async ctx =>
        {
            lock (requests)
            {
                requests.Add(ctx.Request.Path + ctx.Request.QueryString);
            }

            // Three pages of 100, 100 and 50, each naming the next as the incidents API does.
            int page = int.TryParse(ctx.Request.Query["continuation"], out int p) ? p : 0;
            var rows = Enumerable.Range(page * 100, page == 2 ? 50 : 100).Select(i => new { incidentId = $"inc-{i:D12}-1", stage = "Contained" });
            if (page < 2)
            {
                ctx.Response.Headers.Append("Link", $"</api/incidents?continuation={page + 1}>; rel=\"next\"");
            }

            await ctx.Response.WriteAsJsonAsync(rows);
        });
        try
        {
            CordonCli.Run first = await CordonCli.RunAsync(Quick, "incidents", "--url", baseUrl);

            Assert.True(first.Code == 0, first.ToString());
            Assert.Contains("the first 100 incidents; the host has more: ./cordon incidents --all", first.Output, StringComparison.Ordinal);
            Assert.Single(requests);

            requests.Clear();
            CordonCli.Run all = await CordonCli.RunAsync(Quick, "incidents", "--all", "--url", baseUrl);

            Assert.True(all.Code == 0, all.ToString());
            Assert.Contains("250 incidents", all.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("has more", all.Output, StringComparison.Ordinal);
            Assert.Equal(["/api/incidents?pageSize=500", "/api/incidents?continuation=1", "/api/incidents?continuation=2"], requests);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
