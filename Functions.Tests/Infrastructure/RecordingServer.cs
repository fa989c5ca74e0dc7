using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cordon.Tests;

public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, string? AnsweredMessageId)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

public sealed record ScriptedResponse(HttpStatusCode Status, string? MessageId, string? Body, string? RetryAfter, Dictionary<string, string>? ExtraHeaders);

/// <summary>Kestrel on 127.0.0.1 and a free port: records every request and answers from a script
/// (default: 202 with a fresh X-Message-Id). Stands in, at the wire, for
/// services outside this machine: SendGrid, client webhooks and session-kill endpoints.</summary>
public sealed class RecordingServer : IAsyncDisposable
{
    readonly ConcurrentQueue<ScriptedResponse> script = new();
    readonly List<RecordedRequest> requests = [];
    WebApplication? app;
    int counter;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    public void Enqueue(HttpStatusCode status, string? messageId = null, string? body = null, string? retryAfter = null, Dictionary<string, string>? extraHeaders = null) =>
        script.Enqueue(new ScriptedResponse(status, messageId, body, retryAfter, extraHeaders));

    public async Task StartAsync()
    {
        (app, BaseUrl) = await LoopbackServer.StartAsync(HandleAsync);
    }

    /// <summary>A server already listening, for <c>await using</c>.</summary>
    public static async Task<RecordingServer> StartNewAsync()
    {
        var server = new RecordingServer();
        await server.StartAsync();
        return server;
    }

    async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        string body = await reader.ReadToEndAsync(context.RequestAborted);
        if (!script.TryDequeue(out ScriptedResponse? answer))
        {
            answer = new ScriptedResponse(HttpStatusCode.Accepted, $"auto-{Interlocked.Increment(ref counter)}", null, null, null);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (requests)
        {
            requests.Add(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body, answer.MessageId));
        }

        context.Response.StatusCode = (int)answer.Status;
        if (answer.MessageId is not null)
        {
            context.Response.Headers["X-Message-Id"] = answer.MessageId;
        }

        if (answer.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = answer.RetryAfter;
        }

        foreach (var (name, value) in answer.ExtraHeaders ?? [])
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Body, context.RequestAborted);
        }
    }

    public async Task StopAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
            app = null;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
