using Microsoft.AspNetCore.Mvc;

namespace Cordon.Alerts;

/// <summary>RFC 9457 problem responses and bounded body reading for the HTTP functions.</summary>
public static class Problems
{
    public static ObjectResult BadRequest(string title, IReadOnlyList<string> errors) =>
        Create(StatusCodes.Status400BadRequest, title, string.Join("; ", errors), errors);

    public static ObjectResult NotFound(string title, string detail) => Create(StatusCodes.Status404NotFound, title, detail, []);

    public static ObjectResult Create(int status, string title, string detail, IReadOnlyList<string> errors)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = "about:blank" };
        if (errors.Count > 0)
        {
            problem.Extensions["errors"] = errors;
        }

        var result = new ObjectResult(problem) { StatusCode = status };
        result.ContentTypes.Add("application/problem+json");
        return result;
    }

    /// <summary>
    /// Reads a posted form, or says why it cannot be read: more fields than ASP.NET's limit (1,024), a key
    /// or value over its length limit, or a malformed body — a client's mistake, never a server error.
    /// </summary>
    public static async Task<(IFormCollection? Form, string? Error)> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return (await request.ReadFormAsync(cancellationToken), null);
        }
        catch (InvalidDataException ex)
        {
            return (null, $"the form cannot be read: {ex.Message}");
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested) // e.g. a body over the server's size limit
        {
            return (null, $"the form cannot be read: {ex.Message}");
        }
    }

    /// <summary>Reads the body, or returns null as soon as it exceeds <paramref name="limit"/> bytes.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
