import type { FileInfo } from '../../contracts/index.js';

/**
 * What the model is told about the files an instruction came with: each one's name, id, and for a spreadsheet its
 * worksheet, row count and header row — enough to choose an agent and map its params, never a row of personal data
 * (the agent reads the rows itself, after NEXUS has assessed and, when RED, an approver has seen them). Names and
 * headers are JSON-quoted: they are data an uploader wrote, not instructions.
 */
export function attachmentNote(files: readonly FileInfo[]): string {
  const lines = files.map((file) => {
    const sheet = file.sheet;
    const about = sheet
      ? `spreadsheet${sheet.worksheet !== null ? `, worksheet ${JSON.stringify(sheet.worksheet)}` : ''}, ${sheet.rows} rows below the header; columns: ${sheet.columns.map((c) => JSON.stringify(c)).join(', ')}`
      : `${file.content_type}, ${file.size} bytes`;
    return `- ${JSON.stringify(file.name)} (file_id ${file.file_id}): ${about}`;
  });
  return [
    'Files attached to this instruction. Their rows are not shown to you; an agent that takes a file_id reads the file itself. Use these file_ids where a param takes one, and these column headers where a param names a column or a template uses {{placeholders}}:',
    ...lines,
  ].join('\n');
}
