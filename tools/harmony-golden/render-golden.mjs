// Renders the Harmony golden prompts for Tessera's tests with the real gpt-oss chat template
// (src/Tessera/Chat/Harmony/gpt-oss-chat-template.jinja, the GGUF's tokenizer.chat_template) through @huggingface/jinja,
// which applies trim_blocks and lstrip_blocks as transformers and llama.cpp do.
//
// Each case is tests/Tessera.Tests/Harmony/Golden/<name>.json: an OpenAI-shaped chat request (messages, tools,
// reasoning_effort, response_format) plus the template kwargs (current_date, model_identity, builtin_tools).
// The script writes <name>.prompt.txt (what the template renders with add_generation_prompt=true), or <name>.error.txt
// (the template's exception message) when the case says "expect_error": true.
//
// The request goes through the same conversion as llama.cpp's server before the template sees it
// (common/chat.cpp common_chat_msgs_parse_oaicompat + to_json_oaicompat, common/parsers/gpt-oss.cpp):
//   - content: a string, or text parts joined with "\n"; missing or null becomes "".
//   - reasoning_content (also "thinking" or "reasoning") becomes the template's `thinking`; when the message also has
//     tool calls its `content` is removed, so the template renders the reasoning as the analysis message.
//   - tool_calls only when non-empty; arguments stay a string (an object is compacted to a string).
//   - tools: {type, function: {name, description ("" if missing), parameters ({} if missing)}}.
// The template knows no response format. For cases with response_format json_schema this script appends the section
// that the harmony format guide (openai/harmony docs/format.md, "Structured output") describes to the developer
// message, creating that message if the template rendered none; Tessera's renderer does the same.
//
// Usage (node 20):  cd tools/harmony-golden && npm ci && node render-golden.mjs [--check]
// --check compares with the files on disk and exits 1 on any difference instead of writing.

import { Environment, Template } from "@huggingface/jinja";
import { readFileSync, writeFileSync, readdirSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const templatePath = join(root, "src", "Tessera", "Chat", "Harmony", "gpt-oss-chat-template.jinja");
const goldenDir = join(root, "tests", "Tessera.Tests", "Harmony", "Golden");
const check = process.argv.includes("--check");

const template = new Template(readFileSync(templatePath, "utf8"));

// @huggingface/jinja declares strftime_now (the real clock) and raise_exception as globals and refuses to redeclare
// them; let this script's render variables replace those two so that the date is pinned per case.
const overridable = new Set(["strftime_now", "raise_exception"]);
const declareVariable = Environment.prototype.declareVariable;
Environment.prototype.declareVariable = function (name, value) {
    if (overridable.has(name)) this.variables.delete(name);
    return declareVariable.call(this, name, value);
};

function contentText(content) {
    if (content === undefined || content === null) return "";
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
        return content.filter((p) => p.type === "text").map((p) => p.text).join("\n");
    }
    throw new Error(`unsupported content: ${JSON.stringify(content)}`);
}

function toTemplateMessage(m) {
    const out = { role: m.role, content: contentText(m.content) };
    const reasoning = m.reasoning_content ?? m.thinking ?? m.reasoning;
    const toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0 ? m.tool_calls : null;
    if (typeof reasoning === "string" && reasoning.length > 0) {
        out.thinking = reasoning;
        if (toolCalls) delete out.content;
    }
    if (m.name !== undefined) out.name = m.name;
    if (m.tool_call_id !== undefined) out.tool_call_id = m.tool_call_id;
    if (toolCalls) {
        out.tool_calls = toolCalls.map((tc) => {
            const args = tc.function.arguments;
            const call = {
                type: "function",
                function: { name: tc.function.name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
            };
            if (tc.id !== undefined) call.id = tc.id;
            return call;
        });
    }
    return out;
}

function toTemplateTool(t) {
    return {
        type: "function",
        function: {
            name: t.function.name,
            description: t.function.description ?? "",
            parameters: t.function.parameters ?? {},
        },
    };
}

// "# Response Formats" section of the harmony format guide: name, optional description comment, compact schema.
function responseFormatSection(rf) {
    if (!rf || rf.type !== "json_schema" || !rf.json_schema || rf.json_schema.schema === undefined) return null;
    const js = rf.json_schema;
    let s = `# Response Formats\n\n## ${js.name ?? "response"}\n\n`;
    if (js.description) s += `// ${js.description}\n`;
    return s + JSON.stringify(js.schema);
}

function appendToDeveloperMessage(prompt, section) {
    const devStart = "<|start|>developer<|message|>";
    const at = prompt.indexOf(devStart);
    if (at < 0) {
        const systemEnd = prompt.indexOf("<|end|>") + "<|end|>".length;
        return prompt.slice(0, systemEnd) + devStart + section + "<|end|>" + prompt.slice(systemEnd);
    }
    const end = prompt.indexOf("<|end|>", at);
    const body = prompt.slice(at + devStart.length, end);
    const sep = body.length === 0 || body.endsWith("\n\n") ? "" : "\n\n";
    return prompt.slice(0, end) + sep + section + prompt.slice(end);
}

function render(c) {
    const vars = {
        messages: c.messages.map(toTemplateMessage),
        add_generation_prompt: true,
        bos_token: "<|startoftext|>",
        eos_token: "<|return|>",
        strftime_now: (format) => {
            if (format !== "%Y-%m-%d") throw new Error(`unexpected strftime format ${format}`);
            return c.current_date;
        },
        raise_exception: (message) => {
            throw new Error(message);
        },
    };
    if (Array.isArray(c.tools) && c.tools.length > 0) vars.tools = c.tools.map(toTemplateTool);
    if (c.reasoning_effort !== undefined) vars.reasoning_effort = c.reasoning_effort;
    if (c.model_identity !== undefined) vars.model_identity = c.model_identity;
    if (c.builtin_tools !== undefined) vars.builtin_tools = c.builtin_tools;
    let prompt = template.render(vars);
    const section = responseFormatSection(c.response_format);
    if (section) prompt = appendToDeveloperMessage(prompt, section);
    return prompt;
}

let failures = 0;
const cases = readdirSync(goldenDir).filter((f) => f.endsWith(".json")).sort();
for (const file of cases) {
    const name = file.slice(0, -".json".length);
    const c = JSON.parse(readFileSync(join(goldenDir, file), "utf8"));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(c.current_date ?? "") || new Date(c.current_date + "T00:00:00Z").toISOString().slice(0, 10) !== c.current_date)
        throw new Error(`${file}: current_date must be a real date written YYYY-MM-DD`);
    let outFile, text;
    try {
        text = render(c);
        outFile = `${name}.prompt.txt`;
        if (c.expect_error) throw new Error(`${file}: expected the template to raise, it rendered`);
    } catch (e) {
        if (!c.expect_error || outFile) throw e;
        outFile = `${name}.error.txt`;
        text = e.message;
    }
    const path = join(goldenDir, outFile);
    if (check) {
        const old = existsSync(path) ? readFileSync(path, "utf8") : null;
        if (old !== text) {
            console.error(`DIFF ${outFile}`);
            failures++;
        }
    } else {
        writeFileSync(path, text);
        // A case that switched between rendering and raising leaves no stale file behind.
        const other = join(goldenDir, outFile.endsWith(".prompt.txt") ? `${name}.error.txt` : `${name}.prompt.txt`);
        if (existsSync(other)) rmSync(other);
    }
    console.log(`${check ? "checked" : "wrote"} ${outFile}`);
}
if (failures > 0) {
    console.error(`${failures} golden file(s) differ`);
    process.exit(1);
}
console.log(`${cases.length} case(s)`);
