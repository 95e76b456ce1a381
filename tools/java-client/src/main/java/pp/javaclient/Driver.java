package pp.javaclient;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import pp.generated.api.CasesApi;
import pp.generated.api.ManagedCasesApi;
import pp.generated.api.MeApi;
import pp.generated.api.TestCasesApi;
import pp.generated.api.WebhookEventsApi;
import pp.generated.api.WebhooksApi;
import pp.generated.invoker.ApiClient;
import pp.generated.invoker.ApiException;
import pp.generated.invoker.ApiResponse;
import pp.generated.model.DebituraDomainModelWebhooksDtosCreateWebhookRequest;
import pp.generated.model.DebituraDomainModelWebhooksDtosUpdateWebhookRequest;
import pp.generated.model.DebituraDomainModelWebhooksDtosWebhookDto;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsMeCollectionPartnerMeResponse;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsWebhooksReplayEventResultDto;
import pp.generated.model.DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesAdvanceTestCaseResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesCloseCaseResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesDebtorDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesInvoiceDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesInvoiceListDto;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsAdvanceTestCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsCloseCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsPaymentDto;
import pp.generated.model.DebituraWebExternalApiContractsV1PaymentsUpdatePaymentRequest;

/**
 * Drives the stack through the payment flow with the client OpenAPI Generator made from the original's
 * document, nothing else: every call goes through the generated API classes and every answer is read
 * into the generated models (a body they cannot read is an ApiException, and a failed step).
 *
 * <p>System properties: pp.baseUrl, pp.apiKey (a partner's key), pp.caseId (a production case of that
 * partner, Active, created with date, dueDate, creditor and debtor), pp.webhookUrl (where a subscription
 * may point). Prints "STEP ok name" per step, "STEP FAIL name: why" and exits 1 on the first failure.
 *
 * <p>Each step is one line in main(); an operation of the document the stack serves later is one more
 * line there (see PENDING).
 */
public final class Driver {
  private final CasesApi cases;
  private final ManagedCasesApi managed;
  private final MeApi me;
  private final TestCasesApi testCases;
  private final WebhooksApi webhooks;
  private final WebhookEventsApi events;
  private final UUID caseId;
  private final String webhookUrl;
  private final String tag = "java-client-" + UUID.randomUUID();

  // state carried from step to step
  private DebituraWebExternalApiContractsV1CasesInvoiceDto theCase;
  private UUID paymentId;
  private UUID keyedPaymentId;
  private UUID webhookId;
  private DebituraWebExternalApiContractsV1CasesInvoiceDto testCase;

  private Driver(ApiClient client, UUID caseId, String webhookUrl) {
    this.cases = new CasesApi(client);
    this.managed = new ManagedCasesApi(client);
    this.me = new MeApi(client);
    this.testCases = new TestCasesApi(client);
    this.webhooks = new WebhooksApi(client);
    this.events = new WebhookEventsApi(client);
    this.caseId = caseId;
    this.webhookUrl = webhookUrl;
  }

  interface Step {
    void run() throws Exception;
  }

  /** Operations of the document the stack does not serve yet: each becomes one step line in main(). */
  static final List<String> PENDING = List.of(
      "PUT /cases/{id}/fees (cases.casesIdFeesPut)",
      "GET /cases/{id}/timeline (cases.casesIdTimelineGet)",
      "POST /test/webhooks/fire (new TestWebhooksApi(client).testWebhooksFirePost)",
      "POST /test/cases/{id}/replay-last-event (testCases.testCasesIdReplayLastEventPost)",
      "GET/POST/PUT/DELETE /managed-cases/{id}/payments (managed.managedCasesIdPayments*)");

  public static void main(String[] args) {
    String baseUrl = required("pp.baseUrl");
    String apiKey = required("pp.apiKey");
    ApiClient client = new ApiClient();
    client.updateBaseUri(baseUrl);
    client.setRequestInterceptor(builder -> builder.header("XApiKey", apiKey));
    Driver d = new Driver(client, UUID.fromString(required("pp.caseId")), required("pp.webhookUrl"));

    step("me", d::me);
    step("case", d::readCase);
    step("caseByReference", d::caseByReference);
    step("listCases", d::listCases);
    step("createWebhook", d::createWebhook);
    step("readWebhooks", d::readWebhooks);
    step("recordPayment", d::recordPayment);
    step("recordPaymentWithKey", d::recordPaymentWithKey);
    step("listPayments", d::listPayments);
    step("editPayment", d::editPayment);
    step("deletePayment", d::deletePayment);
    step("closeCase", d::closeCase);
    step("webhookEvents", d::webhookEvents);
    step("deleteWebhook", d::deleteWebhook);
    step("createManagedCase", d::createManagedCase);
    step("readManagedCases", d::readManagedCases);
    step("advanceTestCase", d::advanceTestCase);
    step("deleteTestCases", d::deleteTestCases);
    // PENDING, one line each once served, e.g.:
    // step("fees", d::fees); step("timeline", d::timeline); step("fireWebhook", d::fireWebhook);
    // step("replayLastEvent", d::replayLastEvent); step("managedCasePayments", d::managedCasePayments);
    System.out.println("DONE");
  }

  // ---- steps

  void me() throws ApiException {
    DebituraWebCollectionPartnerApiModelsMeCollectionPartnerMeResponse profile = me.meGet();
    check(profile.getId() != null, "me.id");
    check(profile.getCompanyName() != null, "me.companyName");
  }

  void readCase() throws ApiException {
    theCase = cases.casesIdGet(caseId);
    check(caseId.equals(theCase.getId()), "case.id");
    checkCaseFields(theCase, "case");
    check("Active".equals(theCase.getLifecycle()), "case.lifecycle Active");
    check(theCase.getDate() != null && theCase.getDueDate() != null, "case.date and case.dueDate");
    check(theCase.getDueDate().isAfter(theCase.getDate()), "case.dueDate after case.date");
    check(theCase.getCreditor() != null && theCase.getCreditor().getId() != null, "case.creditor.id");
    check(theCase.getDebtor() != null && theCase.getDebtor().getName() != null, "case.debtor");
  }

  void caseByReference() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceDto byRef = cases.casesCaseReferenceCaseReferenceGet(theCase.getReference());
    check(caseId.equals(byRef.getId()), "by reference: the same case");
  }

  void listCases() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceListDto page = cases.casesGet(1, 100, null, null, List.of("Active"), null, null, null);
    check(page.getPage() != null && page.getPage().getTotalResults() != null, "page");
    check(page.getCases().stream().anyMatch(c -> caseId.equals(c.getId())), "the case is listed");
    for (DebituraWebExternalApiContractsV1CasesInvoiceDto c : page.getCases()) checkCaseFields(c, "listed case");
  }

  void createWebhook() throws ApiException {
    DebituraDomainModelWebhooksDtosWebhookDto hook = webhooks.webhooksPost(new DebituraDomainModelWebhooksDtosCreateWebhookRequest()
        .url(java.net.URI.create(webhookUrl))
        .events(List.of("payment.created", "payment.updated", "payment.deleted", "case.updated"))
        .isTestMode(false));
    check(hook.getId() != null && hook.getSecret() != null, "webhook id and secret");
    webhookId = hook.getId();
  }

  void readWebhooks() throws ApiException {
    check(webhooks.webhooksGet().stream().anyMatch(h -> webhookId.equals(h.getId())), "webhook listed");
    check(webhookId.equals(webhooks.webhooksIdGet(webhookId).getId()), "webhook by id");
    DebituraDomainModelWebhooksDtosWebhookDto updated = webhooks.webhooksIdPut(webhookId, new DebituraDomainModelWebhooksDtosUpdateWebhookRequest().isActive(true));
    check(Boolean.TRUE.equals(updated.getIsActive()), "webhook active");
  }

  void recordPayment() throws ApiException {
    DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse out = cases.casesIdPaymentsPost(caseId, null, payment(100.5));
    check(out.getPaymentId() != null, "paymentId");
    check(theCase.getReference().equals(out.getCaseReference()), "caseReference");
    check(out.getDate() != null, "date");
    paymentId = out.getPaymentId();
  }

  void recordPaymentWithKey() throws ApiException {
    String key = "java-client-" + UUID.randomUUID();
    DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse first = cases.casesIdPaymentsPost(caseId, key, payment(50));
    ApiResponse<DebituraWebExternalApiContractsV1PaymentsCreatePaymentResponse> again = cases.casesIdPaymentsPostWithHttpInfo(caseId, key, payment(50), null);
    check(Objects.equals(first.getPaymentId(), again.getData().getPaymentId()), "the same payment for the same key");
    check(again.getHeaders().getOrDefault("idempotency-replayed", List.of()).contains("true"), "Idempotency-Replayed: true");
    keyedPaymentId = first.getPaymentId();
  }

  void listPayments() throws ApiException {
    List<DebituraWebExternalApiContractsV1PaymentsPaymentDto> list = cases.casesIdPaymentsGet(caseId);
    check(list.size() == 2, "two payments, got " + list.size());
    for (DebituraWebExternalApiContractsV1PaymentsPaymentDto p : list) {
      check(p.getId() != null && p.getDate() != null && p.getDateCreated() != null, "payment id and dates");
      check(p.getInvoice() != null && caseId.equals(p.getInvoice().getInvoiceId()), "payment.invoice.invoiceId");
    }
  }

  void editPayment() throws ApiException {
    DebituraWebExternalApiContractsV1PaymentsPaymentDto edited = cases.casesIdPaymentsPaymentIdPut(caseId, paymentId, new DebituraWebExternalApiContractsV1PaymentsUpdatePaymentRequest()
        .date(day(2024, 5, 11))
        .paymentAmount(120.0)
        .paymentRecipient("CollectionPartner"));
    check(paymentId.equals(edited.getId()), "edited payment id");
    check(Double.valueOf(120.0).equals(edited.getGrossAmount()), "edited amount");
    check(day(2024, 5, 11).isEqual(edited.getDate()), "edited date");
  }

  void deletePayment() throws ApiException {
    cases.casesIdPaymentsPaymentIdDelete(caseId, keyedPaymentId, null);
    check(cases.casesIdPaymentsGet(caseId).size() == 1, "one payment left");
  }

  void closeCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesCloseCaseResponse out = cases.casesIdClosePost(caseId, new DebituraWebExternalApiContractsV1CasesRequestsCloseCaseRequest()
        .closeCode("PartiallyPaid")
        .comment("closed by the generated Java client"));
    check("PartiallyPaid".equals(out.getCloseCode()), "closeCode");
    check(out.getClosedAt() != null && out.getClosedBy() != null, "closedAt, closedBy");
    DebituraWebExternalApiContractsV1CasesInvoiceDto closed = cases.casesIdGet(caseId);
    check("Closed".equals(closed.getLifecycle()) && closed.getDateFinished() != null, "case closed");
  }

  void webhookEvents() throws Exception {
    // Events are fanned out asynchronously (SPEC §1): wait, bounded, for the first one of this case.
    List<DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto> list = new ArrayList<>();
    long until = System.nanoTime() + 60_000_000_000L;
    while (list.isEmpty() && System.nanoTime() < until) {
      list = events.webhooksEventsGet(caseId, null);
      if (list.isEmpty()) Thread.sleep(200);
    }
    check(!list.isEmpty(), "webhook events of the case");
    check(!events.webhooksEventsGet(null, OffsetDateTime.now(ZoneOffset.UTC).minusHours(1)).isEmpty(), "events since an hour ago");
    DebituraWebCollectionPartnerApiModelsWebhooksWebhookEventDto event = list.get(0);
    check(event.getId() != null && event.getSubscriptionId() != null && event.getCreatedAt() != null, "event fields");
    DebituraWebCollectionPartnerApiModelsWebhooksReplayEventResultDto replay = events.webhooksEventsIdReplayPost(event.getId());
    check(event.getId().equals(replay.getEventId()), "replayed event id");
  }

  void deleteWebhook() throws ApiException {
    webhooks.webhooksIdDelete(webhookId);
  }

  void createManagedCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest body = new DebituraWebExternalApiContractsV1CasesRequestsCreateManagedCaseRequest()
        .isTest(true)
        .currencyCode("EUR")
        .amountToRecover(500.0)
        .date(day(2024, 8, 19))
        .dueDate(day(2024, 9, 2))
        .creditorCompanyName("Java Creditor Ltd")
        .creditorCountry("Denmark")
        .creditorReference("INV-JAVA-1")
        .tag(tag)
        .debtor(new DebituraWebExternalApiContractsV1CasesDebtorDto().type("Company").name("Java Debtor ApS"));
    String key = "java-client-" + UUID.randomUUID();
    testCase = managed.managedCasesPost(key, body);
    checkCaseFields(testCase, "test case");
    check(Boolean.TRUE.equals(testCase.getIsTestCase()), "isTestCase");
    check(day(2024, 8, 19).isEqual(testCase.getDate()), "test case date");
    check(day(2024, 9, 2).isEqual(testCase.getDueDate()), "test case dueDate");
    check("Java Creditor Ltd".equals(testCase.getCreditor().getCompanyName()), "creditor.companyName");
    check(testCase.getId().equals(managed.managedCasesPost(key, body).getId()), "the same test case for the same key");
  }

  void readManagedCases() throws ApiException {
    DebituraWebExternalApiContractsV1CasesInvoiceListDto page = managed.managedCasesGet(1, 100, null, null, null, null, null);
    check(page.getCases().stream().anyMatch(c -> testCase.getId().equals(c.getId())), "test case listed");
    check(testCase.getId().equals(managed.managedCasesIdGet(testCase.getId()).getId()), "managed case by id");
    check(testCase.getId().equals(managed.managedCasesCaseReferenceCaseReferenceGet(testCase.getReference()).getId()), "managed case by reference");
  }

  void advanceTestCase() throws ApiException {
    DebituraWebExternalApiContractsV1CasesAdvanceTestCaseResponse out = testCases.testCasesIdAdvancePost(testCase.getId(),
        new DebituraWebExternalApiContractsV1CasesRequestsAdvanceTestCaseRequest().to("Closed:Paid").amount(500.0));
    check(Boolean.TRUE.equals(out.getAdvanced()) && "Closed:Paid".equals(out.getState()), "advanced to Closed:Paid");
    List<DebituraWebExternalApiContractsV1PaymentsPaymentDto> paid = cases.casesIdPaymentsGet(testCase.getId());
    check(paid.size() == 1, "the payment of the advance");
  }

  void deleteTestCases() throws ApiException {
    testCases.testCasesIdDelete(testCase.getId());
    testCases.testCasesDelete(tag);
    try {
      cases.casesIdGet(testCase.getId());
      check(false, "a deleted test case is gone");
    } catch (ApiException e) {
      check(e.getCode() == 404, "404 after delete, got " + e.getCode());
    }
  }

  // ---- helpers

  /** The fields the issue found a generated client reading as null. */
  private static void checkCaseFields(DebituraWebExternalApiContractsV1CasesInvoiceDto c, String what) {
    check(c.getId() != null && c.getReference() != null && c.getDateCreated() != null, what + ": id, reference, dateCreated");
    check(c.getCurrency() != null && c.getGrossAmount() != null && c.getRemainder() != null, what + ": money");
    check(c.getCollectionPartner() != null && c.getCollectionPartner().getName() != null, what + ": collectionPartner.name");
    check(c.getDebtor() == null || c.getDebtor().getName() != null, what + ": debtor.name");
  }

  private static DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest payment(double amount) {
    return new DebituraWebExternalApiContractsV1PaymentsCreatePaymentRequest()
        .date(day(2024, 5, 10))
        .paymentAmount(amount)
        .paymentRecipient("CollectionPartner");
  }

  private static OffsetDateTime day(int y, int m, int d) {
    return OffsetDateTime.of(y, m, d, 0, 0, 0, 0, ZoneOffset.UTC);
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException("expected " + what);
  }

  private static String required(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isEmpty()) {
      System.out.println("STEP FAIL setup: system property " + name + " is required");
      System.exit(2);
    }
    return v;
  }

  private static void step(String name, Step s) {
    try {
      s.run();
      System.out.println("STEP ok " + name);
    } catch (Throwable e) {
      System.out.println("STEP FAIL " + name + ": " + describe(e));
      e.printStackTrace(System.out);
      System.exit(1);
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof ApiException a) return "HTTP " + a.getCode() + " " + a.getMessage() + " body: " + a.getResponseBody();
    return e.toString();
  }
}
