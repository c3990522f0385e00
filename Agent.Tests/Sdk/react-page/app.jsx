// A chat page on useStream from @langchain/langgraph-sdk/react, as a LangGraph client would build one: it asks the
// built-in "agent" graph a question with search_documents under review, shows the pending interrupt with an Approve
// button, resumes with the HumanInTheLoopMiddleware decision, and shows the answer. Bundled by esbuild (bundle.mjs);
// driven in headless chromium by Agent.Tests/Sdk/ReactUseStream_Specs.cs. Settings come from the query string:
// ?apiUrl=http://localhost:8080&apiKey=...&assistantId=agent
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { useStream } from "@langchain/langgraph-sdk/react";

const params = new URLSearchParams(window.location.search);
const settings = {
  apiUrl: params.get("apiUrl") ?? window.location.origin,
  apiKey: params.get("apiKey") ?? undefined,
  assistantId: params.get("assistantId") ?? "agent",
};

const text = (message) =>
  typeof message.content === "string" ? message.content : message.content.map((part) => part.text ?? "").join("");
// Tool results (the documents found) are long; the page shows their start.
const shown = (message) => (message.type === "tool" ? text(message).slice(0, 200) + "…" : text(message));

function Chat() {
  const [threadId, setThreadId] = useState(null);
  const [question, setQuestion] = useState("How do I create a GIN index?");
  const stream = useStream({ ...settings, threadId, onThreadId: setThreadId });
  const review = stream.interrupt?.value;
  const answer = !stream.isLoading && !stream.interrupt
    ? stream.messages.findLast((m) => m.type === "ai" && !(m.tool_calls?.length) && text(m))
    : undefined;

  const ask = (event) => {
    event.preventDefault();
    stream.submit(
      { messages: [{ type: "human", content: question }] },
      { config: { configurable: { approve_tools: ["search_documents"] } } });
  };
  const approve = () => stream.submit(undefined, { command: { resume: { decisions: [{ type: "approve" }] } } });

  return (
    <main>
      <h1>useStream</h1>
      <form id="ask" onSubmit={ask}>
        <input id="question" value={question} onChange={(e) => setQuestion(e.target.value)} />
        <button id="send" type="submit" disabled={stream.isLoading}>Send</button>
      </form>
      <p id="thread" data-thread-id={threadId ?? ""}>{threadId ? `thread ${threadId}` : "no thread yet"}</p>
      <p id="status">{stream.isLoading ? "running" : stream.interrupt ? "interrupted" : "idle"}</p>
      <ol id="messages">
        {stream.messages.map((m, i) => (
          <li key={m.id ?? i} className={`message ${m.type}`} data-type={m.type}>
            <b>{m.type}</b> {shown(m)}
            {m.tool_calls?.map((call) => <code key={call.id}> {call.name}({JSON.stringify(call.args)})</code>)}
          </li>
        ))}
      </ol>
      {review && (
        <section id="interrupt">
          <h2>Review</h2>
          {review.action_requests?.map((request, i) => (
            <p key={i} className="action-request" data-tool={request.name}>
              {request.name} {JSON.stringify(request.args)}
            </p>
          ))}
          <button id="approve" onClick={approve} disabled={stream.isLoading}>Approve</button>
        </section>
      )}
      {answer && <p id="answer">{text(answer)}</p>}
      {stream.error && <pre id="error">{String(stream.error?.message ?? stream.error)}</pre>}
    </main>
  );
}

createRoot(document.getElementById("root")).render(<Chat />);
