/** A parameter the caller got wrong: HTTP 400 / CLI exit 2, naming it. */
export class ReportParamError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class UnknownReportError extends Error {}
