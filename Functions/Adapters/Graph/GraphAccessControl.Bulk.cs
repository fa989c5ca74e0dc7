using Cordon.Access;
using System.Globalization;
using System.Text.Json;
using Microsoft.Kiota.Abstractions;

namespace Cordon.Adapters.Graph;

public sealed partial class GraphAccessControl
{
    /// <summary>
    /// Vendor-site fan-out: for every account a <c>revokeSignInSessions</c> POST and a PATCH
    /// <c>accountEnabled=false</c>, sent as JSON <c>$batch</c> requests of at most 20 items, one batch at a
    /// time. Graph throttles each item on its own: a batch can answer 200 while items inside answer 429
    /// with their own Retry-After. Nothing here waits: when items are throttled (or the whole batch answers
    /// 429/503/504), the call returns at once with the accounts left in <see cref="BulkRevocationResult.Pending"/>
    /// and the longest Retry-After among them (none when they carry none: the caller backs off exponentially);
    /// the caller waits that out on a durable timer and sends them again. The same when a response reports
    /// <c>x-ms-throttle-limit-percentage</c> at or above <see cref="GraphOptions.SlowDownAtPercent"/>: the rest is
    /// handed back with the slow-down pause. An account counts as revoked when both its writes succeeded; one
    /// that does not exist (404) or whose writes kept failing is listed in <see cref="BulkRevocationResult.Failed"/>.
    /// </summary>
    public async Task<BulkRevocationResult> RevokeAccountsAsync(IReadOnlyList<string> userPrincipalNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userPrincipalNames);
        var accounts = userPrincipalNames.Where(u => !string.IsNullOrWhiteSpace(u)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var pending = new LinkedList<BatchStep>();
        for (int i = 0; i < accounts.Count; i++)
        {
            string path = "/users/" + Uri.EscapeDataString(Cordon.World.SubjectIdentity.Canonical(accounts[i]));
            pending.AddLast(new BatchStep((2 * i + 1).ToString(CultureInfo.InvariantCulture), accounts[i], "POST", path + "/revokeSignInSessions", null));
            pending.AddLast(new BatchStep((2 * i + 2).ToString(CultureInfo.InvariantCulture), accounts[i], "PATCH", path, DisableBody));
        }

        var failed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var counter = new RequestCounter();
        int size = settings.EffectiveBatchSize;
        while (pending.Count > 0)
        {
            var batch = new List<BatchStep>(size);
            while (batch.Count < size && pending.First is { } first)
            {
                batch.Add(first.Value);
                pending.RemoveFirst();
            }

            BatchAnswer answer = await SendBatchAsync(batch, counter, cancellationToken);
            var again = new List<BatchStep>();
            TimeSpan? wait = null; // the longest Retry-After among the throttled items; none when none carried one
            foreach (BatchStep step in batch)
            {
                ItemAnswer item = answer.Items.TryGetValue(step.Id, out ItemAnswer? a) ? a : ItemAnswer.Missing;
                if (item.Status is >= 200 and < 300)
                {
                    continue;
                }

                if ((GraphThrottling.IsTransient(item.Status) || item.Status == 0) && ++step.Attempts <= settings.MaxRetries)
                {
                    again.Add(step);
                    if (item.RetryAfter is { } after && (wait is null || GraphThrottling.Cap(settings, after) > wait))
                    {
                        wait = GraphThrottling.Cap(settings, after);
                    }

                    continue;
                }

                string reason = item.Status == 404 ? "account not found" : $"{step.Method} {step.Url} answered {item.Status} {item.Error}".TrimEnd();
                if (failed.TryAdd(step.UserPrincipalName, reason))
                {
                    logger.LogWarning("Graph bulk revocation: {Subject} failed: {Reason}", step.UserPrincipalName, reason);
                }
            }

            for (int i = again.Count - 1; i >= 0; i--)
            {
                pending.AddFirst(again[i]);
            }

            // No waiting in here (the caller waits on a durable timer): what is left goes back with the wait.
            if (again.Count > 0)
            {
                logger.LogInformation("Graph $batch: {Count} items throttled; handing {Left} requests back to retry after {Wait}", again.Count, pending.Count, wait);
                return Result(accounts, failed, pending, counter, wait);
            }

            if (pending.Count > 0 && answer.ThrottlePercent is double percent && percent >= settings.SlowDownAtPercent)
            {
                TimeSpan pause = GraphThrottling.SlowDown(settings, percent);
                logger.LogInformation("Graph reports {Percent}% of the throttling budget used; handing {Left} requests back to send after {Pause}", percent, pending.Count, pause);
                return Result(accounts, failed, pending, counter, pause);
            }
        }

        return Result(accounts, failed, pending, counter, null);
    }

    static BulkRevocationResult Result(List<string> accounts, Dictionary<string, string> failed, LinkedList<BatchStep> pending, RequestCounter counter, TimeSpan? retryAfter)
    {
        var left = new HashSet<string>(pending.Select(p => p.UserPrincipalName).Where(u => !failed.ContainsKey(u)), StringComparer.OrdinalIgnoreCase);
        int revoked = accounts.Count(a => !failed.ContainsKey(a) && !left.Contains(a));
        return new BulkRevocationResult(accounts.Count, revoked, counter.Requests, accounts.Where(failed.ContainsKey).ToList(),
            left.Count > 0 ? accounts.Where(left.Contains).ToList() : null, left.Count > 0 ? retryAfter : null);
    }

    static readonly JsonElement DisableBody = JsonSerializer.SerializeToElement(new Dictionary<string, bool> { ["accountEnabled"] = false });

    /// <summary>Sends one $batch; a 429/502/503/504 for the whole request answers every item as throttled (never waited out here).</summary>
    async Task<BatchAnswer> SendBatchAsync(List<BatchStep> batch, RequestCounter counter, CancellationToken cancellationToken)
    {
        byte[] body = BatchBody(batch);
        {
            counter.Requests++;
            using HttpResponseMessage response = await PostBatchAsync(body, cancellationToken);
            double? percent = GraphThrottling.ThrottlePercent(HeaderValue(response, GraphThrottling.ThrottlePercentHeader));
            if (response.IsSuccessStatusCode)
            {
                return await ParseBatchAsync(response, percent, cancellationToken);
            }

            int status = (int)response.StatusCode;
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!GraphThrottling.IsTransient(status))
            {
                throw new HttpRequestException($"Graph $batch of {batch.Count} requests answered {status}: {Truncate(text)}", null, response.StatusCode);
            }

            // The whole batch throttled: every item answers as throttled, with the response's Retry-After.
            TimeSpan? retryAfter = GraphThrottling.RetryAfter(response.Headers.RetryAfter, time.GetUtcNow());
            logger.LogWarning("Graph $batch answered {Status}; its {Count} requests go back with Retry-After {Wait}", status, batch.Count, retryAfter);
            return new BatchAnswer(batch.ToDictionary(b => b.Id, _ => new ItemAnswer(status, retryAfter, $"whole $batch answered {status}"), StringComparer.Ordinal), percent);
        }
    }

    /// <summary>POST {BaseUrl}/$batch through the SDK's request adapter (auth and middleware), keeping the raw response.</summary>
    async Task<HttpResponseMessage> PostBatchAsync(byte[] body, CancellationToken cancellationToken)
    {
        var request = new RequestInformation(Method.POST, "{+baseurl}/$batch", new Dictionary<string, object>());
        request.Headers.Add("Accept", "application/json");
        request.SetStreamContent(new MemoryStream(body, writable: false), "application/json");
        var handler = new NativeResponseHandler();
        request.SetResponseHandler(handler);
        await graph.RequestAdapter.SendNoContentAsync(request, cancellationToken: cancellationToken);
        return handler.Value as HttpResponseMessage ?? throw new InvalidOperationException("Graph $batch returned no response");
    }

    static byte[] BatchBody(List<BatchStep> batch)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("requests");
            foreach (BatchStep step in batch)
            {
                json.WriteStartObject();
                json.WriteString("id", step.Id);
                json.WriteString("method", step.Method);
                json.WriteString("url", step.Url);
                if (step.Body is JsonElement payload)
                {
                    json.WriteStartObject("headers");
                    json.WriteString("Content-Type", "application/json");
                    json.WriteEndObject();
                    json.WritePropertyName("body");
                    payload.WriteTo(json);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    async Task<BatchAnswer> ParseBatchAsync(HttpResponseMessage response, double? percent, CancellationToken cancellationToken)
    {
        var items = new Dictionary<string, ItemAnswer>(StringComparer.Ordinal);
        await using Stream content = await response.Content.ReadAsStreamAsync(cancellationToken);
        using JsonDocument doc = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        if (doc.RootElement.TryGetProperty("responses", out JsonElement responses) && responses.ValueKind == JsonValueKind.Array)
        {
            DateTimeOffset now = time.GetUtcNow();
            foreach (JsonElement r in responses.EnumerateArray())
            {
                string? id = r.TryGetProperty("id", out JsonElement idEl) ? idEl.ToString() : null;
                if (id is null)
                {
                    continue;
                }

                int status = r.TryGetProperty("status", out JsonElement st) && st.TryGetInt32(out int s) ? s : 0;
                string? retryAfter = null;
                if (r.TryGetProperty("headers", out JsonElement headers) && headers.ValueKind == JsonValueKind.Object)
                {
                    foreach (JsonProperty h in headers.EnumerateObject())
                    {
                        if (string.Equals(h.Name, GraphThrottling.RetryAfterHeader, StringComparison.OrdinalIgnoreCase))
                        {
                            retryAfter = h.Value.ToString();
                        }
                        else if (string.Equals(h.Name, GraphThrottling.ThrottlePercentHeader, StringComparison.OrdinalIgnoreCase)
                            && GraphThrottling.ThrottlePercent(h.Value.ToString()) is double itemPercent)
                        {
                            percent = Math.Max(percent ?? 0, itemPercent);
                        }
                    }
                }

                string? error = r.TryGetProperty("body", out JsonElement b) && b.ValueKind == JsonValueKind.Object
                    && b.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.Object
                    ? $"{(e.TryGetProperty("code", out JsonElement c) ? c.ToString() : "")}: {(e.TryGetProperty("message", out JsonElement m) ? m.ToString() : "")}"
                    : null;
                items[id] = new ItemAnswer(status, GraphThrottling.RetryAfter(retryAfter, now), error);
            }
        }

        return new BatchAnswer(items, percent);
    }

    static string? HeaderValue(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault()
        : null;

    static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    sealed class BatchStep(string id, string userPrincipalName, string method, string url, JsonElement? body)
    {
        public string Id { get; } = id;

        public string UserPrincipalName { get; } = userPrincipalName;

        public string Method { get; } = method;

        public string Url { get; } = url;

        public JsonElement? Body { get; } = body;

        public int Attempts { get; set; }
    }

    sealed record ItemAnswer(int Status, TimeSpan? RetryAfter, string? Error)
    {
        /// <summary>An item the batch response did not mention: sent again like a throttled one.</summary>
        public static readonly ItemAnswer Missing = new(0, null, "no response for this item");
    }

    sealed record BatchAnswer(IReadOnlyDictionary<string, ItemAnswer> Items, double? ThrottlePercent);

    sealed class RequestCounter
    {
        public int Requests { get; set; }
    }
}
