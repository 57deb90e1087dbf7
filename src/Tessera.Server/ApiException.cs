// A request the server refuses, with the HTTP status and OpenAI error body to answer it with. Thrown by request
// validation and by ErrorMapping for the library's exceptions; the endpoint turns it into the response.

using Microsoft.AspNetCore.Http;
using Tessera.Server.Protocol;

namespace Tessera.Server;

/// <summary>An error answer: status code plus OpenAI's error body.</summary>
internal sealed class ApiException(int status, ErrorBody error) : Exception(error.Message)
{
    public int Status { get; } = status;

    public ErrorBody Error { get; } = error;

    /// <summary>400 <c>invalid_request_error</c>, naming the request field at fault (null when it is the whole body).</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, new ErrorBody(message, "invalid_request_error", param, code));
}
